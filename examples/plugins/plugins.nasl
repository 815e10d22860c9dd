# plugins.nasl -- a small CNN search that chooses among built-in operations
# and two plug-in operations loaded from shared libraries
#
# What it is
#   Not a space from a paper: a demonstration of `extern op` (nasl(5)) and of
#   the plug-in interface naslc/op.h (nasl-stdlib(7), PLUG-IN OPERATIONS).
#   Each of 2 layers is either a built-in convolution or a depthwise-separable
#   one (sepconv.c, which owns weights), followed by ReLU or Swish (swish.c,
#   with a float parameter the controller picks). The budget is tiny (600
#   training images, 1 epoch, 4 architectures) so that it runs in CI.
#
# How to use it (from this directory)
#   cc -shared -fPIC -O2 -I PREFIX/include -o swish.so swish.c -lm
#   cc -shared -fPIC -O2 -I PREFIX/include -o sepconv.so sepconv.c
#   (in the source tree `make` builds both) then
#   naslc check plugins.nasl
#   naslc gradcheck plugins.nasl sepconv --arg kernel=5
#   naslc run plugins.nasl
#   The libraries are found beside this file: a relative `library:` path is
#   relative to the .nasl file that declares it.

dataset fashion = fashion_mnist()

extern op swish(beta: float in 0.1..10 = 1 "slope of the sigmoid gate") : activation
  "x * sigmoid(beta * x)" {
  library: "swish.so"
  forward: "swish_forward"
  backward: "swish_backward"
  shape: same
}

extern op sepconv(kernel: int in 1..7 = 3 "kernel height and width",
                  filters: int in 1..512 = 16 "output channels") : layer
  "depthwise k x k convolution, then a pointwise 1x1 one, plus a bias" {
  library: "sepconv.so"
  forward: "sepconv_forward"
  backward: "sepconv_backward"
  shape: "sepconv_shape"
}

space plugins {
  layers 2 {
    either conv: {
      conv2d(height: 3, width: 3, filters: [8, 16], stride: 1)
    } or sep: {
      sepconv(kernel: [3, 5], filters: [8, 16])
    }
    [relu, swish(beta: [1.0, 2.0])]
    maybe maxpool(size: 2, stride: 2)
  }
}

train {
  data: fashion
  subset: 800
  valid: 200
  epochs: 1
  batch: 32
  optimizer: sgd(lr: 0.05, momentum: 0.9)
  seed: 7
}

search reinforce {
  controller: lstm(layers: 1, hidden: 16, init: 0.08)
  optimizer: adam(lr: 1e-3)
  baseline: ema(0.9)
  batch: 2
  samples: 4
  reward: max(valid_accuracy, last: 1)
  seed: 3
}
