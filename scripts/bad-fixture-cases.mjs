// The expectations for test/fixtures/bad/ (written into cases.json by make-bad-fixtures.mjs):
// for each broken file, the job it goes through, the error code and a pattern the message must
// match. Paths are relative to test/fixtures/bad; `../tiny/model.json` is the valid tiny model.
const TINY = '../tiny/model.json';
const model = (file, code, message, what) => ({ file, job: 'inspect', model: file, code, message, what });
const data = (file, code, message, what) => ({ file, job: 'evaluate', model: TINY, data: file, code, message, what });

export const CASES = [
  model('tfjs-truncated-shard', 'bad-model', 'group1-shard1of1\\.bin.*truncated', 'TF.js shard cut short by 100 bytes'),
  model('tfjs-bitflip-inf-weight', 'bad-model', 'model\\.json.*conv1/kernel.*1 infinite value', 'exponent bits of one kernel value flipped to all ones'),
  model('tfjs-nan-weights', 'bad-model', 'model\\.json.*conv1/kernel.*2 NaN values', 'two NaN kernel values'),
  model('tfjs-wrong-shape', 'bad-model', 'model\\.json.*cannot build the model.*[Ss]hape mismatch', 'manifest shape [3,3,4,1] for a [3,3,1,4] kernel (same byte count)'),
  model('tfjs-wrong-byte-count', 'bad-model', 'group1-shard1of1\\.bin.*byte counts do not match', 'shard 64 bytes longer than the manifest'),
  model('tfjs-missing-shard', 'bad-model', 'group1-shard1of1\\.bin.*is missing', 'model.json without its shard'),
  model('tfjs-unknown-dtype', 'unsupported', 'model\\.json.*dtype complex64', 'weight dtype complex64'),
  model('tfjs-unknown-layer', 'unsupported', 'model\\.json.*FancyAttention.*not supported', 'a layer class tfjs does not have'),
  model('tfjs-lambda-layer', 'unsupported', 'model\\.json.*Lambda.*never runs', 'a Lambda layer carrying Python bytecode'),
  model('tfjs-absurd-size', 'too-large', 'model\\.json.*93\\.\\d GB.*memory budget of \\d+ MB', 'manifest claims a 100,000 x 250,000 float32 kernel (100 GB)'),
  model('tfjs-shard-traversal', 'unsupported', 'model\\.json.*\\.\\./\\.\\./.*inside the model\'s folder', "shard path '../../../../etc/hostname'"),
  model('tfjs-graph-model', 'unsupported', 'model\\.json.*graph model', 'a TF.js graph model'),
  model('tfjs-not-json', 'bad-model', 'model\\.json.*not valid JSON', 'model.json cut off mid-object'),
  model('tfjs-no-topology', 'bad-model', 'model\\.json.*no modelTopology', 'model.json without modelTopology'),
  model('tfjs-functional-cycle', 'bad-model', 'model\\.json.*(cycle|cannot build)', 'Functional graph where conv1 takes relu2 as input'),
  model('tfjs-functional-dangling', 'bad-model', 'model\\.json.*ghost_layer', 'Functional graph with an inbound node naming a missing layer'),
  model('tfjs-functional-unnamed-layer', 'bad-model', 'model\\.json.*layer #6 \\(Conv2D\\) has no name', 'Functional layer entry without its name (fuzz #151, #161)'),
  model('tfjs-functional-no-inbound', 'bad-model', 'model\\.json.*"bn2" takes its input from node 0 of "conv2", which has 0 nodes', 'Functional layer whose inbound_nodes key is misspelt (fuzz #184)'),
  model('tfjs-functional-node-index', 'bad-model', 'model\\.json.*"relu1" takes its input from node 3 of "bn1", which has 1 node', 'inbound reference to node 3 of a layer called once'),
  model('keras-truncated.h5', 'bad-model', 'keras-truncated\\.h5.*truncated: its superblock says \\d+ bytes, the file has \\d+', 'Keras HDF5 cut in half'),
  model('keras-corrupt-superblock.h5', 'bad-model', 'keras-corrupt-superblock\\.h5.*(not a readable HDF5|not a model Quench can open|damaged)', '40 bytes of the superblock XORed'),
  model('keras-not-hdf5.h5', 'unsupported', 'keras-not-hdf5\\.h5.*not a model Quench can open', 'a text file named .h5'),
  model('hdf5-not-keras.h5', 'bad-model', 'hdf5-not-keras\\.h5.*not a Keras model', 'an HDF5 file with a plain dataset'),
  model('keras-weights-only.h5', 'bad-model', 'keras-weights-only\\.h5.*weights only', 'a save_weights() file'),
  model('keras-lambda.h5', 'unsupported', 'keras-lambda\\.h5.*lambda_exec.*Lambda.*never runs', 'Keras 2 model with a Lambda layer'),
  model('keras-missing-config.keras', 'bad-model', 'keras-missing-config\\.keras.*without config\\.json', '.keras zip without config.json'),
  model('keras-missing-weights.keras', 'bad-model', 'keras-missing-weights\\.keras.*no model\\.weights\\.h5', '.keras zip without model.weights.h5'),
  model('keras-path-traversal.keras', 'bad-model', 'keras-path-traversal\\.keras.*"\\.\\./\\.\\./x" points outside the archive', "zip entry named '../../x'"),
  model('keras-zip-bomb.keras', 'bad-model', 'keras-zip-bomb\\.keras.*config\\.json is \\d+ bytes, over the \\d+ byte limit', '80 MB config.json deflated to ~80 KB'),
  model('keras-declared-huge.keras', 'too-large', 'keras-declared-huge\\.keras.*3\\.\\d GB.*memory budget', 'zip directory claims a 3.75 GB weights entry'),
  model('keras-custom-object.keras', 'unsupported', 'keras-custom-object\\.keras.*MyCustomBlock.*custom objects are not loaded', 'a registered custom layer class'),
  data('idx-wrong-magic', 'bad-data', 't10k-images-idx3-ubyte.*wrong magic', 'IDX images file with a bad magic number'),
  data('idx-wrong-dimensions', 'bad-data', 't10k-images-idx3-ubyte.*3 or 4 dimensions.*has 2', 'IDX images with 2 dimensions'),
  data('idx-count-mismatch', 'bad-data', 't10k-images-idx3-ubyte.*20 images but 17 labels', '20 images, 17 labels'),
  data('idx-truncated', 'bad-data', 't10k-images-idx3-ubyte.*truncated', 'IDX images file cut short'),
  data('labels-beyond-outputs', 'mismatch', 't10k-images-idx3-ubyte.*label 12 of sample 7.*10 outputs', 'label 12 for a 10-class model'),
  data('npz-object-array.npz', 'unsupported', 'npz-object-array\\.npz:x_test.*never unpickles', '.npz whose images are a pickled object array'),
  data('npz-declared-huge.npz', 'too-large', 'npz-declared-huge\\.npz.*3\\.\\d GB.*memory budget', '.npz whose directory claims a 3.75 GB member'),
  data('nan-inputs/x_test.npy', 'bad-data', 'x_test\\.npy.*sample 3 holds NaN or infinite', 'float images with NaN and Inf pixels'),
  data('undecodable-image', 'bad-data', 'b\\.png.*cannot decode the image', 'image folder with a PNG cut off after 40 bytes'),
];
