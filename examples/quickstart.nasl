# quickstart.nasl -- a small CNN search that finishes in minutes on a laptop CPU
#
# What it is
#   A miniature of the NAS convolutional space (Zoph & Le, "Neural
#   Architecture Search with Reinforcement Learning", ICLR 2017, Section 4.1;
#   see cnn_v1.nasl for the full-size version) sized so that a real REINFORCE
#   search finishes in under 10 minutes on 2 CPU cores. Same ingredients as
#   the paper -- per-layer kernel height/width and filter count, batch norm,
#   ReLU, skip connections by anchor attention, an LSTM controller trained with
#   REINFORCE against a moving-average baseline, reward = best recent
#   validation accuracy cubed -- but:
#     - Fashion-MNIST (28x28 grey images, 10 classes) instead of CIFAR-10;
#     - 2 to 4 layers, depth picked by the controller;
#     - kernels 1/3/5 and 8/16/24 filters;
#     - each layer may add a 2x2 max pooling (`maybe`);
#     - children see 8,000 training images, of which 2,000 are held out for
#       validation, and train for only 2 epochs;
#     - 100 architectures, updated 4 at a time, with an 8-minute wall budget
#       (`minutes: 8`) that ends the search early on a slow machine.
#   The numbers are our choices, not the paper's. Children this small and
#   this briefly trained reach validation accuracies of roughly 40-80%; the
#   spread between architectures is what the controller learns from. The
#   point is to watch the whole loop (sample, train, reward, update) run.
#
# How to use it (from the repository root)
#   naslc check  examples/quickstart.nasl
#   naslc tokens examples/quickstart.nasl
#   naslc sample examples/quickstart.nasl
#   naslc run    examples/quickstart.nasl
#   If the Fashion-MNIST files are not where naslc looks by default, give
#   the loader their folder: fashion_mnist(dir: "path/to/fashion-mnist").

dataset fashion = fashion_mnist()

space quick {
  layers 2..4 {
    conv2d(height: [1, 3, 5], width: [1, 3, 5], filters: [8, 16, 24], stride: 1)
    batchnorm
    relu
    maybe maxpool(size: 2, stride: 2)
    inputs: anchor
  }
}

train {
  data: fashion
  subset: 8000
  valid: 2000
  epochs: 2
  batch: 64
  optimizer: sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-4)
}

search reinforce {
  controller: lstm(layers: 1, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.9)
  batch: 4
  samples: 100
  minutes: 8
  reward: max(valid_accuracy, last: 2) ^ 3
}
