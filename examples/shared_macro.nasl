# shared_macro.nasl -- a shared-weight search of a macro space on
# Fashion-MNIST, then a final training of what it found
#
# What it is
#   The macro search space of ENAS (Pham et al., "Efficient Neural
#   Architecture Search via Parameter Sharing", 2018), sized for
#   Fashion-MNIST on a CPU: twelve searched layers in three stages of four,
#   with fixed 2x2 max pooling between the stages (28x28, 14x14, 7x7).
#   Each layer is a convolution (3x3, 3x5, 5x3 or 5x5; 16 or 24 filters in
#   the first stage, 32 or 48 in the second, 64 or 96 in the third) with
#   batch norm and ReLU; it always reads the layer before it, and its
#   anchors add skip connections from the earlier layers of its stage
#   (`anchor(previous: true, block: true)`: a skip connection never
#   crosses a pooling layer). ENAS also offers pooling in place of a
#   convolution at every layer; with that choice the shared weights
#   trained far more slowly here (naslc(1), Shared weights), so pooling is
#   fixed between the stages instead.
#
#   Every child takes its weights from one shared store
#   (`evaluator: shared`): before each batch of 8 samples the store is
#   trained for 100 steps of 64 images, each step with an architecture the
#   controller draws; a sample's reward is its accuracy on 500
#   validation images under the store. After the search, 10 architectures
#   drawn from the trained controller are ranked on the whole validation
#   split (5,000 images) and the best is trained from scratch by the final
#   block (20 epochs), tested and saved in RUNDIR/final/1/.
#
#   The numbers are our choices, not the paper's (ENAS: CIFAR-10, 12 or 24
#   layers, 6 operations, 36 to 512 filters, 310 epochs of shared
#   training). README.md has what it measured on 2 cores.
#
# How to use it (from the repository root)
#   naslc tokens examples/shared_macro.nasl
#   naslc run    examples/shared_macro.nasl --dir runs/shared_macro
#   naslc report runs/shared_macro
#   The search stops after `minutes: 60` (or its samples, if sooner); the
#   final training then takes about as long again.

dataset fashion = fashion_mnist()

space macro {
  # stage 1: 28x28
  layers 4 {
    conv2d(height: [3, 5], width: [3, 5], filters: [16, 24], stride: 1)
    batchnorm
    relu
    inputs: anchor(previous: true, block: true)
  }
  layer { maxpool(size: 2, stride: 2) }

  # stage 2: 14x14
  layers 4 {
    conv2d(height: [3, 5], width: [3, 5], filters: [32, 48], stride: 1)
    batchnorm
    relu
    inputs: anchor(previous: true, block: true)
  }
  layer { maxpool(size: 2, stride: 2) }

  # stage 3: 7x7
  layers 4 {
    conv2d(height: [3, 5], width: [3, 5], filters: [64, 96], stride: 1)
    batchnorm
    relu
    inputs: anchor(previous: true, block: true)
  }

  head { global_avgpool; dense }
}

# the shared weights: trained with this recipe, step by step
train {
  data: fashion
  valid: 5000
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-4)
  crop: 2
  flip: true
  clip: 5
}

search reinforce {
  controller: lstm(layers: 1, hidden: 64, init: 0.1)
  optimizer: adam(lr: 3.5e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 2400
  minutes: 60
  entropy: 1e-4
  tanh_constant: 2.5
  evaluator: shared(steps: 100, valid: 500, rank: 10)
  reward: last(valid_accuracy)
}

final {
  top: 1
  valid: 5000
  epochs: 20
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  schedule: cosine
  crop: 2
  flip: true
}
