#!/usr/bin/python3
"""Writes small Keras-shaped model files for the format tests, without Keras or TensorFlow.

Run with Debian's Python (h5py + numpy):  /usr/bin/python3 scripts/make-keras-fixtures.py

Outputs, under test/fixtures/keras/:
  sequential_cnn.h5      Keras 2 `model.save('x.h5')` layout, Sequential CNN
                         (InputLayer, Conv2D, BatchNormalization, Activation, MaxPooling2D,
                         Flatten, Dense softmax). Config in the Keras 2.13+ style
                         (module / registered_name / build_config keys, BN axis as a list).
  functional_branches.h5 Keras 2 layout, Functional model in the Keras 2.4-2.12 style
                         (no module keys): Conv2D x2, Add, Concatenate, ZeroPadding2D,
                         DepthwiseConv2D, GlobalAveragePooling2D, Dense.
  residual_v3.keras      Keras 3 `model.save('x.keras')` zip (metadata.json, config.json,
                         model.weights.h5 with layers/<name>/vars/<i>): Functional with Rescaling,
                         Conv2D, BatchNormalization, ReLU, SeparableConv2D, Add, MaxPooling2D,
                         AveragePooling2D, GlobalMaxPooling2D, Dropout, Dense, Softmax; dtype
                         policies as objects, inbound_nodes as args/kwargs with keras_history.
  expected.json          For each file: fixed inputs and the outputs of an independent numpy
                         forward pass (inference mode), so tests compare our loader to numpy.

Weights come from numpy's seeded generator, so the files are reproducible. The HDF5 layouts
follow Keras: for .h5, root attrs keras_version/backend/model_config, group model_weights with
attrs layer_names/backend/keras_version, one group per layer with attr weight_names and datasets
at model_weights/<layer>/<layer>/<weight>:0; for .keras, a stored (uncompressed) zip.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'keras')
rng = np.random.default_rng(20250101)


# ---------- numpy reference ops (NHWC, Keras semantics) ----------

def pad_same(x, kh, kw):
    ph, pw = kh - 1, kw - 1
    return np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def conv2d(x, kernel, bias, padding):
    kh, kw, _, _ = kernel.shape
    if padding == 'same':
        x = pad_same(x, kh, kw)
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((n, oh, ow, kernel.shape[3]), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum('nhwc,cf->nhwf', x[:, i:i + oh, j:j + ow, :], kernel[i, j])
    return out + (bias if bias is not None else 0)


def depthwise(x, kernel, bias, padding):
    kh, kw, c, m = kernel.shape
    if padding == 'same':
        x = pad_same(x, kh, kw)
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((n, oh, ow, c, m), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += x[:, i:i + oh, j:j + ow, :, None] * kernel[i, j]
    out = out.reshape(n, oh, ow, c * m)
    return out + (bias if bias is not None else 0)


def batchnorm(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def pool(x, size, reduce):
    n, h, w, c = x.shape
    oh, ow = h // size, w // size
    x = x[:, :oh * size, :ow * size, :].reshape(n, oh, size, ow, size, c)
    return reduce(reduce(x, axis=4), axis=2)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


relu = lambda x: np.maximum(x, 0)  # noqa: E731


def rand(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def positive(*shape):
    return (0.5 + rng.random(shape)).astype(np.float32)


def f64(*arrays):
    return [a.astype(np.float64) for a in arrays]


# ---------- Keras config pieces ----------

def init(cls, module=True, **config):
    d = {'class_name': cls, 'config': config}
    if module:
        d = {'module': 'keras.initializers', **d, 'registered_name': None}
    return d


def k2_layer(cls, name, config, module=False, build_shape=None, inbound=None):
    layer = {'class_name': cls, 'config': {'name': name, 'trainable': True, 'dtype': 'float32', **config}}
    if module:
        layer = {'module': 'keras.layers', **layer, 'registered_name': None}
        if build_shape is not None:
            layer['build_config'] = {'input_shape': build_shape}
    if inbound is not None:
        layer['name'] = name
        layer['inbound_nodes'] = inbound
    return layer


def conv_config(filters, k, padding, activation='linear', module=False):
    return {'filters': filters, 'kernel_size': [k, k], 'strides': [1, 1], 'padding': padding,
            'data_format': 'channels_last', 'dilation_rate': [1, 1], 'groups': 1, 'activation': activation,
            'use_bias': True, 'kernel_initializer': init('GlorotUniform', module, seed=None),
            'bias_initializer': init('Zeros', module), 'kernel_regularizer': None, 'bias_regularizer': None,
            'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None}


def write_keras2_h5(path, model_config, layer_weights, keras_version):
    """layer_weights: list of (layer_name, [(weight_name, array), ...]) in model.layers order."""
    with h5py.File(path, 'w') as f:
        f.attrs['backend'] = 'tensorflow'
        f.attrs['keras_version'] = keras_version
        f.attrs['model_config'] = json.dumps(model_config).encode('utf8')
        g = f.create_group('model_weights')
        g.attrs['layer_names'] = np.array([n.encode('utf8') for n, _ in layer_weights])
        g.attrs['backend'] = 'tensorflow'
        g.attrs['keras_version'] = keras_version
        for name, weights in layer_weights:
            lg = g.create_group(name)
            # Keras writes np.asarray([]) (float64, shape (0,)) for a layer without weights.
            lg.attrs['weight_names'] = np.array([w.encode('utf8') for w, _ in weights]) if weights else np.asarray([])
            for wname, value in weights:
                lg.create_dataset(wname, data=value)


# ---------- 1. Keras 2 Sequential CNN ----------

def sequential_cnn():
    k1, b1 = rand(3, 3, 1, 4), rand(4, scale=0.1)
    gamma, beta, mean, var = positive(4), rand(4, scale=0.1), rand(4, scale=0.2), positive(4)
    kd, bd = rand(4 * 4 * 4, 10, scale=0.3), rand(10, scale=0.1)
    m = True
    layers = [
        {'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 8, 8, 1],
         'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'conv2d_input'}, 'registered_name': None},
        k2_layer('Conv2D', 'conv2d', conv_config(4, 3, 'same', module=m), m, [None, 8, 8, 1]),
        k2_layer('BatchNormalization', 'batch_normalization', {
            'axis': [3], 'momentum': 0.99, 'epsilon': 0.001, 'center': True, 'scale': True,
            'beta_initializer': init('Zeros'), 'gamma_initializer': init('Ones'),
            'moving_mean_initializer': init('Zeros'), 'moving_variance_initializer': init('Ones'),
            'beta_regularizer': None, 'gamma_regularizer': None, 'beta_constraint': None,
            'gamma_constraint': None}, m, [None, 8, 8, 4]),
        k2_layer('Activation', 'activation', {'activation': 'relu'}, m, [None, 8, 8, 4]),
        k2_layer('MaxPooling2D', 'max_pooling2d', {'pool_size': [2, 2], 'padding': 'valid', 'strides': [2, 2],
                                                   'data_format': 'channels_last'}, m, [None, 8, 8, 4]),
        k2_layer('Flatten', 'flatten', {'data_format': 'channels_last'}, m, [None, 4, 4, 4]),
        k2_layer('Dense', 'dense', {'units': 10, 'activation': 'softmax', 'use_bias': True,
                                    'kernel_initializer': init('GlorotUniform', seed=None),
                                    'bias_initializer': init('Zeros'), 'kernel_regularizer': None,
                                    'bias_regularizer': None, 'activity_regularizer': None,
                                    'kernel_constraint': None, 'bias_constraint': None}, m, [None, 64]),
    ]
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}}
    weights = [
        ('conv2d', [('conv2d/kernel:0', k1), ('conv2d/bias:0', b1)]),
        ('batch_normalization', [('batch_normalization/gamma:0', gamma), ('batch_normalization/beta:0', beta),
                                 ('batch_normalization/moving_mean:0', mean),
                                 ('batch_normalization/moving_variance:0', var)]),
        ('activation', []), ('max_pooling2d', []), ('flatten', []),
        ('dense', [('dense/kernel:0', kd), ('dense/bias:0', bd)]),
    ]
    write_keras2_h5(os.path.join(OUT, 'sequential_cnn.h5'), config, weights, '2.15.0')

    def forward(x):
        k1_, b1_, g_, be_, mu_, v_, kd_, bd_ = f64(k1, b1, gamma, beta, mean, var, kd, bd)
        y = relu(batchnorm(conv2d(x, k1_, b1_, 'same'), g_, be_, mu_, v_, 0.001))
        y = pool(y, 2, np.max).reshape(x.shape[0], -1)
        return softmax(y @ kd_ + bd_)
    return 'sequential_cnn.h5', (8, 8, 1), forward


# ---------- 2. Keras 2 Functional with Add / Concatenate ----------

def functional_branches():
    ka, ba = rand(3, 3, 2, 4), rand(4, scale=0.1)
    kb, bb = rand(1, 1, 2, 4), rand(4, scale=0.1)
    kdw, bdw = rand(3, 3, 8, 1), rand(8, scale=0.1)
    kd, bd = rand(8, 3), rand(3, scale=0.1)

    def node(*names):
        return [[[n, 0, 0, {}] for n in names]]
    layers = [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 6, 6, 2], 'dtype': 'float32',
         'sparse': False, 'ragged': False, 'name': 'image'}, 'name': 'image', 'inbound_nodes': []},
        k2_layer('Conv2D', 'branch_a', conv_config(4, 3, 'same', 'relu'), inbound=node('image')),
        k2_layer('Conv2D', 'branch_b', conv_config(4, 1, 'valid'), inbound=node('image')),
        k2_layer('Add', 'add', {}, inbound=node('branch_a', 'branch_b')),
        k2_layer('Concatenate', 'concatenate', {'axis': -1}, inbound=node('add', 'branch_a')),
        k2_layer('ZeroPadding2D', 'zero_padding2d', {'padding': [[1, 1], [1, 1]], 'data_format': 'channels_last'},
                 inbound=node('concatenate')),
        k2_layer('DepthwiseConv2D', 'depthwise', {
            'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'valid', 'data_format': 'channels_last',
            'dilation_rate': [1, 1], 'activation': 'relu', 'use_bias': True, 'depth_multiplier': 1,
            'depthwise_initializer': init('GlorotUniform', False, seed=None), 'bias_initializer': init('Zeros', False),
            'depthwise_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
            'depthwise_constraint': None, 'bias_constraint': None}, inbound=node('zero_padding2d')),
        k2_layer('GlobalAveragePooling2D', 'gap', {'data_format': 'channels_last'}, inbound=node('depthwise')),
        k2_layer('Dense', 'head', {'units': 3, 'activation': 'softmax', 'use_bias': True,
                                   'kernel_initializer': init('GlorotUniform', False, seed=None),
                                   'bias_initializer': init('Zeros', False), 'kernel_regularizer': None,
                                   'bias_regularizer': None, 'activity_regularizer': None,
                                   'kernel_constraint': None, 'bias_constraint': None}, inbound=node('gap')),
    ]
    config = {'class_name': 'Functional', 'config': {'name': 'branches', 'layers': layers,
              'input_layers': [['image', 0, 0]], 'output_layers': [['head', 0, 0]]}}
    weights = [
        ('image', []), ('branch_a', [('branch_a/kernel:0', ka), ('branch_a/bias:0', ba)]),
        ('branch_b', [('branch_b/kernel:0', kb), ('branch_b/bias:0', bb)]), ('add', []), ('concatenate', []),
        ('zero_padding2d', []),
        ('depthwise', [('depthwise/depthwise_kernel:0', kdw), ('depthwise/bias:0', bdw)]),
        ('gap', []), ('head', [('head/kernel:0', kd), ('head/bias:0', bd)]),
    ]
    write_keras2_h5(os.path.join(OUT, 'functional_branches.h5'), config, weights, '2.4.0')

    def forward(x):
        ka_, ba_, kb_, bb_, kdw_, bdw_, kd_, bd_ = f64(ka, ba, kb, bb, kdw, bdw, kd, bd)
        a = relu(conv2d(x, ka_, ba_, 'same'))
        b = conv2d(x, kb_, bb_, 'valid')
        c = np.concatenate([a + b, a], axis=-1)
        c = np.pad(c, ((0, 0), (1, 1), (1, 1), (0, 0)))
        d = relu(depthwise(c, kdw_, bdw_, 'valid'))
        return softmax(d.mean(axis=(1, 2)) @ kd_ + bd_)
    return 'functional_branches.h5', (6, 6, 2), forward


# ---------- 3. Keras 3 .keras Functional ----------

def policy():
    return {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}


def k3_tensor(name, shape):
    return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32',
                                                           'keras_history': [name, 0, 0]}}


def k3_layer(cls, name, config, build_shape, args):
    layer = {'module': 'keras.layers', 'class_name': cls,
             'config': {'name': name, 'trainable': True, 'dtype': policy(), **config}, 'registered_name': None,
             'name': name, 'inbound_nodes': [{'args': args, 'kwargs': {}}] if args is not None else []}
    if build_shape is not None:
        layer['build_config'] = {'input_shape': build_shape}
    return layer


def residual_v3():
    k1, b1 = rand(3, 3, 1, 4), rand(4, scale=0.1)
    gamma, beta, mean, var = positive(4), rand(4, scale=0.1), rand(4, scale=0.2), positive(4)
    kdw, kpw, bs = rand(3, 3, 4, 1), rand(1, 1, 4, 4), rand(4, scale=0.1)
    kd, bd = rand(4, 5), rand(5, scale=0.1)
    s8, s4 = [None, 8, 8, 4], [None, 4, 4, 4]
    k3 = {'module': 'keras.initializers', 'registered_name': None}
    conv = conv_config(4, 3, 'same', module=True)
    layers = [
        {'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [None, 8, 8, 1],
         'dtype': 'float32', 'sparse': False, 'name': 'pixels'}, 'registered_name': None, 'name': 'pixels',
         'inbound_nodes': []},
        k3_layer('Rescaling', 'rescaling', {'scale': 0.5, 'offset': 0.25}, [None, 8, 8, 1],
                 [k3_tensor('pixels', [None, 8, 8, 1])]),
        k3_layer('Conv2D', 'stem', conv, [None, 8, 8, 1], [k3_tensor('rescaling', [None, 8, 8, 1])]),
        k3_layer('BatchNormalization', 'stem_bn', {
            'axis': -1, 'momentum': 0.99, 'epsilon': 0.001, 'center': True, 'scale': True,
            'beta_initializer': {**k3, 'class_name': 'Zeros', 'config': {}},
            'gamma_initializer': {**k3, 'class_name': 'Ones', 'config': {}},
            'moving_mean_initializer': {**k3, 'class_name': 'Zeros', 'config': {}},
            'moving_variance_initializer': {**k3, 'class_name': 'Ones', 'config': {}},
            'beta_regularizer': None, 'gamma_regularizer': None, 'beta_constraint': None,
            'gamma_constraint': None, 'synchronized': False}, s8, [k3_tensor('stem', s8)]),
        k3_layer('ReLU', 'stem_relu', {'max_value': None, 'negative_slope': 0.0, 'threshold': 0.0}, s8,
                 [k3_tensor('stem_bn', s8)]),
        k3_layer('SeparableConv2D', 'sep', {
            'filters': 4, 'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same',
            'data_format': 'channels_last', 'dilation_rate': [1, 1], 'depth_multiplier': 1, 'activation': 'linear',
            'use_bias': True, 'depthwise_initializer': {**k3, 'class_name': 'GlorotUniform', 'config': {'seed': None}},
            'pointwise_initializer': {**k3, 'class_name': 'GlorotUniform', 'config': {'seed': None}},
            'bias_initializer': {**k3, 'class_name': 'Zeros', 'config': {}}, 'depthwise_regularizer': None,
            'pointwise_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
            'depthwise_constraint': None, 'pointwise_constraint': None, 'bias_constraint': None}, s8,
            [k3_tensor('stem_relu', s8)]),
        k3_layer('Add', 'residual', {}, [s8, s8], [[k3_tensor('stem_relu', s8), k3_tensor('sep', s8)]]),
        k3_layer('MaxPooling2D', 'pool', {'pool_size': [2, 2], 'padding': 'valid', 'strides': [2, 2],
                                          'data_format': 'channels_last'}, s8, [k3_tensor('residual', s8)]),
        k3_layer('AveragePooling2D', 'avg', {'pool_size': [2, 2], 'padding': 'valid', 'strides': [1, 1],
                                             'data_format': 'channels_last'}, s4, [k3_tensor('pool', s4)]),
        k3_layer('GlobalMaxPooling2D', 'gmp', {'data_format': 'channels_last', 'keepdims': False},
                 [None, 3, 3, 4], [k3_tensor('avg', [None, 3, 3, 4])]),
        k3_layer('Dropout', 'dropout', {'rate': 0.3, 'seed': None, 'noise_shape': None}, [None, 4],
                 [k3_tensor('gmp', [None, 4])]),
        k3_layer('Dense', 'logits', {'units': 5, 'activation': 'linear', 'use_bias': True,
                                     'kernel_initializer': {**k3, 'class_name': 'GlorotUniform', 'config': {'seed': None}},
                                     'bias_initializer': {**k3, 'class_name': 'Zeros', 'config': {}},
                                     'kernel_regularizer': None, 'bias_regularizer': None,
                                     'activity_regularizer': None, 'kernel_constraint': None,
                                     'bias_constraint': None, 'lora_rank': None}, [None, 4],
                 [k3_tensor('dropout', [None, 4])]),
        k3_layer('Softmax', 'probabilities', {'axis': -1}, [None, 5], [k3_tensor('logits', [None, 5])]),
    ]
    config = {'module': 'keras.src.models.functional', 'class_name': 'Functional',
              'config': {'name': 'residual', 'trainable': True, 'layers': layers,
                         'input_layers': [['pixels', 0, 0]], 'output_layers': [['probabilities', 0, 0]]},
              'registered_name': 'Functional', 'build_config': {'input_shape': None}, 'compile_config': None}
    variables = {'stem': [k1, b1], 'stem_bn': [gamma, beta, mean, var], 'sep': [kdw, kpw, bs], 'logits': [kd, bd]}
    weights = io.BytesIO()
    with h5py.File(weights, 'w') as f:
        f.create_group('vars')  # the model's own (empty) variables
        for layer in layers:
            g = f.create_group(f"layers/{layer['config']['name']}/vars")
            for i, value in enumerate(variables.get(layer['config']['name'], [])):
                g.create_dataset(str(i), data=value)
    metadata = {'keras_version': '3.3.3', 'date_saved': '2025-01-01@12:00:00'}
    with zipfile.ZipFile(os.path.join(OUT, 'residual_v3.keras'), 'w') as z:
        for name, data in (('metadata.json', json.dumps(metadata)), ('config.json', json.dumps(config)),
                           ('model.weights.h5', weights.getvalue())):
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 12, 0, 0))
            z.writestr(info, data)

    def forward(x):
        k1_, b1_, g_, be_, mu_, v_, kdw_, kpw_, bs_, kd_, bd_ = f64(k1, b1, gamma, beta, mean, var, kdw, kpw, bs,
                                                                    kd, bd)
        y = relu(batchnorm(conv2d(x * 0.5 + 0.25, k1_, b1_, 'same'), g_, be_, mu_, v_, 0.001))
        s = conv2d(depthwise(y, kdw_, None, 'same'), kpw_, bs_, 'valid')
        p = pool(y + s, 2, np.max)
        a = np.stack([p[:, i:i + 3, j:j + 3, :] for i in (0, 1) for j in (0, 1)]).mean(axis=0)
        return softmax(a.max(axis=(1, 2)) @ kd_ + bd_)
    return 'residual_v3.keras', (8, 8, 1), forward


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for make in (sequential_cnn, functional_branches, residual_v3):
        name, shape, forward = make()
        inputs = np.random.default_rng(7).random((3, *shape)).astype(np.float32)
        outputs = forward(inputs.astype(np.float64))
        expected[name] = {'inputShape': list(shape), 'inputs': [round(float(v), 8) for v in inputs.ravel()],
                          'outputs': [float(v) for v in outputs.ravel()], 'outputShape': list(outputs.shape)}
        print(f'{name}: {os.path.getsize(os.path.join(OUT, name))} bytes, outputs {outputs.shape}')
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
