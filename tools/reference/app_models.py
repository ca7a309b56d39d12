"""The original app's four models, built in their reference frameworks with random weights.

One definition shared by the golden-file script (make_model_goldens.py) and the benchmark
(tools/bench/compare.py): Keras 3 for small_cnn and mobilenetv2, torchvision for inceptionv3
and vgg16, layer names as ECGLens's key maps expect them.
"""
NUM_CLASSES = 4


def keras_model(arch: str, input_size: int | None = None):
    """small_cnn or mobilenetv2 as the app built them in Keras (softmax outputs); `input_size`
    sets the input side (default: the app's, 299 and 224). The small CNN's dense layer's width
    follows it; MobileNetV2's parameter shapes do not depend on it."""
    import keras
    from keras import layers
    if arch == "small_cnn":
        # Named "sequential" explicitly: Keras 3 prefixes a Sequential's variable paths with
        # the model name ("sequential/conv2d/kernel"), which would otherwise become
        # "sequential_1" if another Sequential existed first.
        return keras.Sequential([
            keras.Input((input_size or 299, input_size or 299, 3)),
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2d"),
            layers.MaxPooling2D(4, name="max_pooling2d"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2d_1"),
            layers.MaxPooling2D(4, name="max_pooling2d_1"),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="dense"),
            layers.Dropout(0.3, name="dropout"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="dense_1"),
        ], name="sequential")
    if arch == "mobilenetv2":
        side = input_size or 224
        base = keras.applications.MobileNetV2(input_shape=(side, side, 3), alpha=1.0,
                                              include_top=False, weights=None)
        x = layers.GlobalAveragePooling2D(name="global_average_pooling2d")(base.output)
        x = layers.Dense(128, activation="relu", name="dense")(x)
        x = layers.Dropout(0.3, name="dropout")(x)
        out = layers.Dense(NUM_CLASSES, activation="softmax", name="dense_1")(x)
        return keras.Model(base.input, out, name="functional")
    raise ValueError(arch)


def torchvision_model(arch: str):
    """inceptionv3 or vgg16 with the app's heads, in eval mode (logit outputs)."""
    import torch.nn as nn
    from _torchvision_fix import torchvision
    if arch == "inceptionv3":
        m = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        m.fc = nn.Sequential(nn.Linear(2048, 512), nn.ReLU(), nn.Dropout(0.3), nn.Linear(512, NUM_CLASSES))
        m.AuxLogits.fc = nn.Linear(768, NUM_CLASSES)
    elif arch == "vgg16":
        m = torchvision.models.vgg16(weights=None)
        m.classifier = nn.Sequential(
            nn.Linear(25088, 1024), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(1024, 512), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(512, NUM_CLASSES))
    else:
        raise ValueError(arch)
    return m.eval()
