import ArgumentParser
import ImageIO

/// `--crop` / `--crop-box`, as `ecg train` and `ecg features` take them: the whole page unless
/// asked, the standard trace grid with `--crop`, or a box of page fractions.
///
/// NOTE: `ecg evaluate` has its own tri-state `--crop/--no-crop` (the model's own crop by default).
struct CropOptions: ParsableArguments {
    @Flag(help: "Crop every page to the trace grid (drops the printed header and footer text).")
    var crop = false

    @Option(help: ArgumentHelp("Crop to this box instead: page fractions left,top,right,bottom.", valueName: "l,t,r,b"))
    var cropBox: String?

    func validate() throws {
        if let cropBox, CropBox(cropBox) == nil {
            throw ValidationError("--crop-box needs four fractions left,top,right,bottom with left < right and top < bottom")
        }
        if crop && cropBox != nil { throw ValidationError("give --crop or --crop-box, not both") }
    }

    /// The crop asked for; nil for the whole page.
    var box: CropBox? { crop ? .ecgTrace : cropBox.flatMap(CropBox.init) }
}
