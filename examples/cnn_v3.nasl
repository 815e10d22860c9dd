# cnn_v3.nasl -- NAS v3: the convolutional space with two fixed max-pooling layers
#
# What it is
#   The third CIFAR-10 space of Zoph & Le, "Neural Architecture Search with
#   Reinforcement Learning" (ICLR 2017), Section 4.1 / Table 1 ("v3 max
#   pooling"). The searched layers are the v1 ones (stride-1 convolutions with
#   controller-picked kernel height/width and filter count, batch norm, ReLU,
#   skip connections by anchor attention); on top of that the network
#   downsamples twice with max-pooling layers placed at fixed depths, 13 and 24.
#   Reported result: 39 layers, 7.1M parameters, 4.47% test error. (Widening
#   that network with more filters gave the paper's best CIFAR-10 model:
#   37.4M parameters, 3.65% error.)
#
# Layout (layer numbers are global across the blocks, counted from 1)
#   layers  1-12  searched convolutions  (12)
#   layer     13  max pooling, fixed
#   layers 14-23  searched convolutions  (10)
#   layer     24  max pooling, fixed
#   layers 25-39  searched convolutions  (15)
#   = 39 layers in all, 37 of them searched. We read the paper's "39 layers" as
#   counting the two pooling layers; the pooling window is our choice (3x3,
#   stride 2). Because the pooling positions are fixed, this file uses a fixed
#   depth rather than the 6..N curriculum of cnn_v1.nasl. Anchor inputs of a
#   later layer may point back across a pooling layer to a larger feature map;
#   the runtime reconciles the sizes.
#
# How to use it (from the repository root)
#   naslc check  examples/cnn_v3.nasl
#   naslc tokens examples/cnn_v3.nasl    # no tokens for layers 13 and 24
#   naslc sample examples/cnn_v3.nasl
#   naslc run    examples/cnn_v3.nasl    # needs data/cifar-10-batches-bin

# The paper searched on CIFAR-10. Its files cannot be fetched here, so the
# space trains on Fashion-MNIST (Debian's dataset-fashion-mnist) by default;
# with the CIFAR-10 binary release unpacked in data/ at the top of the tree,
# switch `data:` to cifar (the path is relative to this file).
dataset fashion = fashion_mnist()
dataset cifar = cifar10(dir: "../data/cifar-10-batches-bin")

space nas_v3 {
  layers 12 {
    conv2d(height: [1, 3, 5, 7], width: [1, 3, 5, 7], filters: [24, 36, 48, 64], stride: 1)
    batchnorm
    relu
    inputs: anchor
  }
  layer { maxpool(size: 3, stride: 2) }
  layers 10 {
    conv2d(height: [1, 3, 5, 7], width: [1, 3, 5, 7], filters: [24, 36, 48, 64], stride: 1)
    batchnorm
    relu
    inputs: anchor
  }
  layer { maxpool(size: 3, stride: 2) }
  layers 15 {
    conv2d(height: [1, 3, 5, 7], width: [1, 3, 5, 7], filters: [24, 36, 48, 64], stride: 1)
    batchnorm
    relu
    inputs: anchor
  }
  head { global_avgpool; dense }
}

train {
  data: fashion
  valid: 5000
  epochs: 50
  batch: 64
  optimizer: sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-4)
  schedule: constant
  crop: 4
  flip: true
}

search reinforce {
  controller: lstm(layers: 2, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 12800
  reward: max(valid_accuracy, last: 5) ^ 3
}
