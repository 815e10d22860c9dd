# quickstart.nasl -- a small CNN search that leaves you with a good network,
# in under 10 minutes on a laptop CPU
#
# What it is
#   A miniature of the NAS convolutional space (Zoph & Le, "Neural
#   Architecture Search with Reinforcement Learning", ICLR 2017, Section 4.1;
#   see cnn_v1.nasl for the full-size version), searched with the paper's
#   ingredients -- per-layer kernel height/width and filter count, batch
#   norm, ReLU, skip connections by anchor attention, an LSTM controller
#   trained with REINFORCE against a moving-average baseline -- then the best
#   architecture found trained properly (the final block). But:
#     - Fashion-MNIST (28x28 grey images, 10 classes) instead of CIFAR-10;
#     - 2 to 4 layers, depth picked by the controller; kernels 1/3/5 and
#       16/24/32 filters; each layer may add a 2x2 max pooling (`maybe`);
#       the head is a dense layer over the last map;
#     - 40 architectures, 4 per policy update, each trained for 2 epochs on
#       5,000 images and validated on 1,000 (a 5-minute wall budget,
#       `minutes: 5`, ends the search early on a slow machine);
#     - the reward is the best validation accuracy cubed, as in the paper,
#       less a small price for forward FLOPs (1 per 10^9), so that among
#       children of equal accuracy the cheaper one wins and the final
#       training stays short;
#     - final: the best architecture is trained from scratch on all 55,000
#       training images (5,000 held out) for 10 epochs with a cosine
#       schedule, tested on the 10,000 test images and saved in
#       RUNDIR/final/1/.
#   The numbers are our choices, not the paper's. The search children reach
#   validation accuracies of roughly 40-85% in their two short epochs; the
#   spread between architectures is what the controller learns from, and
#   the final training is what turns the winner into a usable network
#   (about 90% test accuracy; README.md has the measured figure).
#
# How to use it (from the repository root)
#   naslc check  examples/quickstart.nasl
#   naslc tokens examples/quickstart.nasl
#   naslc sample examples/quickstart.nasl
#   naslc run    examples/quickstart.nasl --dir runs/quickstart
#   naslc report runs/quickstart
#   If the Fashion-MNIST files are not where naslc looks by default, give
#   the loader their folder: fashion_mnist(dir: "path/to/fashion-mnist").

dataset fashion = fashion_mnist()

space quick {
  layers 2..4 {
    conv2d(height: [1, 3, 5], width: [1, 3, 5], filters: [16, 24, 32], stride: 1)
    batchnorm
    relu
    maybe maxpool(size: 2, stride: 2)
    inputs: anchor
  }
  head { dense }
}

train {
  data: fashion
  subset: 6000
  valid: 1000
  epochs: 2
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-4)
}

search reinforce {
  controller: lstm(layers: 1, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.9)
  batch: 4
  samples: 40
  minutes: 5
  reward: max(valid_accuracy, last: 2) ^ 3 - flops / 1e9
}

final {
  top: 1
  subset: 0
  valid: 5000
  epochs: 10
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  schedule: cosine
}
