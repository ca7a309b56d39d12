/// Every layer of torchvision's InceptionV3 with the original app's heads, built by one layer
/// factory: the inference network (`InceptionV3`) and the trainable one hold the same layers, so
/// the architecture is written down once. Names are torchvision's `state_dict` prefixes.
public struct InceptionV3Layers<Conv, Linear> {
    public let Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3: Conv
    public let Mixed_5b, Mixed_5c, Mixed_5d: InceptionA<Conv>
    public let Mixed_6a: InceptionB<Conv>
    public let Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e: InceptionC<Conv>
    public let AuxLogits: InceptionAux<Conv, Linear>
    public let Mixed_7a: InceptionD<Conv>
    public let Mixed_7b, Mixed_7c: InceptionE<Conv>
    /// The app's head: `fc.0` (2048 → 512, followed by ReLU and dropout) and `fc.3` (512 → classes).
    public let fc: [Linear]

    /// Asks `t` for every layer, in torchvision's parameter order.
    public init<Factory: InceptionLayerFactory>(_ t: Factory, classes: Int) throws
    where Factory.Conv == Conv, Factory.Linear == Linear {
        Conv2d_1a_3x3 = try t.basicConv("Conv2d_1a_3x3", 3, 32, kernel: (3, 3), stride: (2, 2))
        Conv2d_2a_3x3 = try t.basicConv("Conv2d_2a_3x3", 32, 32, kernel: (3, 3))
        Conv2d_2b_3x3 = try t.basicConv("Conv2d_2b_3x3", 32, 64, kernel: (3, 3), padding: .symmetric(1))
        Conv2d_3b_1x1 = try t.basicConv("Conv2d_3b_1x1", 64, 80, kernel: (1, 1))
        Conv2d_4a_3x3 = try t.basicConv("Conv2d_4a_3x3", 80, 192, kernel: (3, 3))
        Mixed_5b = try InceptionA(t, "Mixed_5b", inputChannels: 192, poolFeatures: 32)
        Mixed_5c = try InceptionA(t, "Mixed_5c", inputChannels: 256, poolFeatures: 64)
        Mixed_5d = try InceptionA(t, "Mixed_5d", inputChannels: 288, poolFeatures: 64)
        Mixed_6a = try InceptionB(t, "Mixed_6a", inputChannels: 288)
        Mixed_6b = try InceptionC(t, "Mixed_6b", inputChannels: 768, channels7x7: 128)
        Mixed_6c = try InceptionC(t, "Mixed_6c", inputChannels: 768, channels7x7: 160)
        Mixed_6d = try InceptionC(t, "Mixed_6d", inputChannels: 768, channels7x7: 160)
        Mixed_6e = try InceptionC(t, "Mixed_6e", inputChannels: 768, channels7x7: 192)
        AuxLogits = try InceptionAux(t, "AuxLogits", inputChannels: 768, classes: classes)
        Mixed_7a = try InceptionD(t, "Mixed_7a", inputChannels: 768)
        Mixed_7b = try InceptionE(t, "Mixed_7b", inputChannels: 1280)
        Mixed_7c = try InceptionE(t, "Mixed_7c", inputChannels: 2048)
        fc = [try t.linear("fc.0", inputs: 2048, outputs: 512), try t.linear("fc.3", inputs: 512, outputs: classes)]
    }
}

extension InceptionV3Layers: Sendable where Conv: Sendable, Linear: Sendable {}
