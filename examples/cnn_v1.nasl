# cnn_v1.nasl -- NAS v1: the plain convolutional search space (no strides, no pooling)
#
# What it is
#   The first CIFAR-10 search space of Zoph & Le, "Neural Architecture Search
#   with Reinforcement Learning" (ICLR 2017), Section 4.1 / Table 1 ("v1 no
#   stride or pooling"). Every layer is a stride-1 convolution whose kernel
#   height, kernel width and filter count are picked by the controller, followed
#   by batch norm and ReLU. Each layer also chooses, by the controller's
#   attention ("anchor points"), which earlier layers feed it, so the searched
#   networks can have arbitrary skip connections.
#
# Where it comes from
#   Choices per layer as in the paper: height and width in {1,3,5,7}, filters in
#   {24,36,48,64}. Depth follows the paper's curriculum: children start with 6
#   layers and gain 2 more every 1,600 sampled architectures, up to 15 here
#   (6, 8, 10, 12, 14, then clamped at 15 from sample 8,000 on).
#   Reported result for this space: 15 layers, 4.2M parameters, 5.50% test error.
#   Controller and child recipe follow the paper: 2-layer LSTM controller with
#   35 units, weights uniform in [-0.08, 0.08], Adam at 6e-4; children trained
#   for 50 epochs with Nesterov momentum SGD (lr 0.1, momentum 0.9, weight decay
#   1e-4) on CIFAR-10 with 5,000 training images held out for validation; the
#   reward is the best validation accuracy of the last 5 epochs, cubed;
#   12,800 architectures in total. The child batch size is not taken from the
#   paper (64 is our choice), and random crops and flips stand in for the
#   paper's augmentation.
#
# How to use it (from the repository root)
#   naslc check  examples/cnn_v1.nasl    # parse and type-check
#   naslc tokens examples/cnn_v1.nasl    # list the controller's decisions
#   naslc sample examples/cnn_v1.nasl    # draw architectures from the space
#   naslc run    examples/cnn_v1.nasl    # the full REINFORCE search
#   Needs the binary CIFAR-10 release unpacked in data/cifar-10-batches-bin.
#   The paper ran this search on hundreds of GPUs at once; on a CPU use this
#   file for check/tokens/sample, or cut epochs and samples to try a run.

# The paper searched on CIFAR-10. Its files cannot be fetched here, so the
# space trains on Fashion-MNIST (Debian's dataset-fashion-mnist) by default;
# with the CIFAR-10 binary release unpacked in data/ at the top of the tree,
# switch `data:` to cifar (the path is relative to this file).
dataset fashion = fashion_mnist()
dataset cifar = cifar10(dir: "../data/cifar-10-batches-bin")

space nas_v1 {
  layers 6..15 grow 2 every 1600 {
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
