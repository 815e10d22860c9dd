# cnn_options.nasl -- a tour of the optional and branching layer constructs
#
# What it is
#   Not a space from a paper: a CIFAR-10 search space written to exercise the
#   parts of the `space` syntax that the faithful NAS files (cnn_v1/v2/v3)
#   do not use. Zoph & Le (ICLR 2017) remark that their controller could also
#   pick the layer type (pooling, normalisation and so on) instead of only
#   convolution settings; this file does that, but the particular choices
#   below are ours, not the paper's.
#
#   Shown here:
#     layers 4                  a fixed number of layers
#     layers [2, 3, 4]          the controller picks the depth from a list
#                               (layers 2..4 would pick it from a range)
#     inputs: anchor(window: 5) skip connections only to the 5 latest layers
#     either conv: {..} or pool: {..}
#                               labelled branches, one picked per layer
#     [relu, tanh]              pick one operation
#     [maxpool(..), avgpool(..)] pick one operation, each with fixed args
#     height: [1..3, 5]         an integer range inside a choice list
#                               (expands to 1, 2, 3, 5; even kernels on purpose)
#     maybe dropout(..)         the controller decides if the layer has it
#     maybe maxpool(size: [2, 3], stride: 2)
#     layer { .. }              a fixed, unsearched layer between stacks
#     head { .. }               the classifier head, written out explicitly
#     search random             plain random search instead of REINFORCE
#
# How to use it (from the repository root)
#   naslc check  examples/cnn_options.nasl
#   naslc tokens examples/cnn_options.nasl   # see how each construct becomes
#                                            # controller decisions
#   naslc sample examples/cnn_options.nasl   # note how depth varies
#   naslc run    examples/cnn_options.nasl   # random search; needs
#                                            # data/cifar-10-batches-bin

# The paper searched on CIFAR-10. Its files cannot be fetched here, so the
# space trains on Fashion-MNIST (Debian's dataset-fashion-mnist) by default;
# with the CIFAR-10 binary release unpacked in data/ at the top of the tree,
# switch `data:` to cifar (the path is relative to this file).
dataset fashion = fashion_mnist()
dataset cifar = cifar10(dir: "../data/cifar-10-batches-bin")

space options {
  # first stage, full 32x32 resolution
  layers 4 {
    either conv: {
      conv2d(height: [1, 3, 5], width: [1, 3, 5], filters: [16, 32, 48], stride: 1)
      batchnorm
      [relu, tanh]
    } or pool: {
      [maxpool(size: 3, stride: 1), avgpool(size: 3, stride: 1)]
    }
    maybe dropout(rate: [0.1, 0.3, 0.5])
    inputs: anchor(window: 5)
  }

  # fixed downsampling between the stages
  layer { maxpool(size: 2, stride: 2) }

  # second stage, 16x16 and smaller
  layers [2, 3, 4] {
    conv2d(height: [1..3, 5], width: [1..3, 5], filters: [32, 48, 64], stride: 1)
    batchnorm
    relu
    maybe maxpool(size: [2, 3], stride: 2)
    inputs: anchor(window: 5)
  }

  head { global_avgpool; dense }
}

train {
  data: fashion
  valid: 5000
  epochs: 20
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  schedule: cosine(min_lr: 0)
  crop: 4
  flip: true
}

search random {
  samples: 100
  seed: 1
  reward: mean(valid_accuracy, last: 3)
}
