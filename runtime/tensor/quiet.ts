// Evaluated before the cpu backend registers: PROD mode stops tfjs printing its "install tfjs-node" banner
// on every start (the optional 'tensorflow' backend is documented in docs/ instead).
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('PROD', true);
