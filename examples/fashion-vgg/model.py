"""The example model in Keras 3: a VGG-style CNN for Fashion-MNIST (28x28 grey images, 10 classes).

Six 3x3 conv blocks of 32, 32, 64, 64, 128, 128 filters, each Conv2D -> BatchNormalization -> ReLU,
with 2x2 max-pooling after every second block, then Flatten -> Dense(10, softmax, no bias).
299,744 parameters.

    python model.py    # trains on Fashion-MNIST and saves the three files beside this script

The files in this folder were written by Quench's own training script (bench/train-example.ts) with
the same architecture and layer names, so this definition loads their weights:

    model = build_model()
    model.load_weights("fashion-vgg.keras")
"""
import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10


def build_model():
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, 3, padding="same", kernel_initializer="he_normal", name="conv1"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn1"),
            layers.ReLU(name="relu1"),
            layers.Conv2D(32, 3, padding="same", kernel_initializer="he_normal", name="conv2"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn2"),
            layers.ReLU(name="relu2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Conv2D(64, 3, padding="same", kernel_initializer="he_normal", name="conv3"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn3"),
            layers.ReLU(name="relu3"),
            layers.Conv2D(64, 3, padding="same", kernel_initializer="he_normal", name="conv4"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn4"),
            layers.ReLU(name="relu4"),
            layers.MaxPooling2D(2, name="pool4"),
            layers.Conv2D(128, 3, padding="same", kernel_initializer="he_normal", name="conv5"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn5"),
            layers.ReLU(name="relu5"),
            layers.Conv2D(128, 3, padding="same", kernel_initializer="he_normal", name="conv6"),
            layers.BatchNormalization(axis=3, epsilon=1e-5, momentum=0.9, name="bn6"),
            layers.ReLU(name="relu6"),
            layers.MaxPooling2D(2, name="pool6"),
            layers.Flatten(name="flatten"),
            layers.Dense(CLASSES, activation="softmax", use_bias=False, name="output"),
        ],
        name="fashion_vgg",
    )


def load_fashion_mnist():
    """Pixels scaled to [0, 1], with a channel axis: (n, 28, 28, 1)."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    x_train = x_train[..., None].astype("float32") / 255.0
    x_test = x_test[..., None].astype("float32") / 255.0
    return (x_train, y_train), (x_test, y_test)


if __name__ == "__main__":
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    model = build_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    model.optimizer.learning_rate.assign(1e-3)
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test top-1 {accuracy:.2%}")

    # Run from this folder: the paths are relative to it.
    model.save("fashion-vgg.keras")
    model.save("fashion-vgg.h5")
    try:
        import tensorflowjs  # pip install tensorflowjs
    except ImportError:
        print("tensorflowjs is not installed: model.json not written")
    else:
        tensorflowjs.converters.save_keras_model(model, ".")  # model.json + group1-shard1of1.bin
