import ImageIO

extension PageMeasurements {
    /// The box spanned by the page's trace grid (its long grid lines), in fractions of the image,
    /// as the page check finds it; nil when the image has no such grid. What an explanation
    /// compares its heat against: inside this box are the traces, above it the printed header.
    public static func gridBox(of image: RGBImage) -> CropBox? {
        let raster = PageRaster(image)
        guard let box = raster.gridBox() else { return nil }
        let (width, height) = (Double(raster.width), Double(raster.height))
        return CropBox(left: Double(box.left) / width, top: Double(box.top) / height,
                       right: Double(box.right + 1) / width, bottom: Double(box.bottom + 1) / height)
    }
}
