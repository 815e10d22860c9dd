# cnn_v2.nasl -- NAS v2: the convolutional space with predicted strides
#
# What it is
#   The second CIFAR-10 space of Zoph & Le, "Neural Architecture Search with
#   Reinforcement Learning" (ICLR 2017), Section 4.1 / Table 1 ("v2 predicting
#   strides"). Identical to cnn_v1.nasl except that the controller also picks
#   each convolution's stride from {1, 2, 3}, so it decides itself where the
#   feature maps shrink. Reported result: 20 layers, 2.5M parameters, 6.01% test
#   error -- fewer parameters than v1, but a slightly worse error.
#
# Depth
#   We keep the paper's curriculum (start at 6 layers, +2 every 1,600 sampled
#   architectures) and let it run up to 20 layers: 6, 8, ..., 20, reached at
#   sample 11,200. To search at a fixed depth instead, replace the first line
#   of the stack with `layers 20 {`.
#
#   Note that with up to 20 layers of stride 2 or 3 a 32x32 image can shrink
#   to 1x1 long before the last layer; the runtime has to cope with that
#   (e.g. by padding), and such children simply tend to earn low rewards.
#
# How to use it (from the repository root)
#   naslc check  examples/cnn_v2.nasl
#   naslc tokens examples/cnn_v2.nasl    # 4 decisions per layer + anchors
#   naslc sample examples/cnn_v2.nasl
#   naslc run    examples/cnn_v2.nasl    # needs data/cifar-10-batches-bin

# The paper searched on CIFAR-10. Its files cannot be fetched here, so the
# space trains on Fashion-MNIST (Debian's dataset-fashion-mnist) by default;
# with the CIFAR-10 binary release unpacked in data/ at the top of the tree,
# switch `data:` to cifar (the path is relative to this file).
dataset fashion = fashion_mnist()
dataset cifar = cifar10(dir: "../data/cifar-10-batches-bin")

space nas_v2 {
  layers 6..20 grow 2 every 1600 {
    conv2d(height: [1, 3, 5, 7], width: [1, 3, 5, 7], filters: [24, 36, 48, 64], stride: [1, 2, 3])
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
