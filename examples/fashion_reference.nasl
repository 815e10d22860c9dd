# fashion_reference.nasl: a fixed network for Fashion-MNIST, the reference
# that shows a child network trained by naslc reaches a competitive accuracy
# (the README records the figure and the command). No decisions: `naslc
# train` trains it directly, without --arch.
#
#   naslc train examples/fashion_reference.nasl --save runs/reference
#
# Four 3x3 convolutions (32, 32, 64, 64 filters) with batch norm and ReLU,
# max pooling after the second and the fourth, then the default head:
# global average pooling and a dense layer over the 10 classes.

dataset fashion = fashion_mnist()

space reference {
  layer { conv2d(height: 3, width: 3, filters: 32); batchnorm; relu }
  layer { conv2d(height: 3, width: 3, filters: 32); batchnorm; relu; maxpool(size: 2, stride: 2) }
  layer { conv2d(height: 3, width: 3, filters: 64); batchnorm; relu }
  layer { conv2d(height: 3, width: 3, filters: 64); batchnorm; relu; maxpool(size: 2, stride: 2) }
}

train {
  data: fashion
  valid: 5000
  epochs: 12
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  schedule: cosine
  seed: 1
}
