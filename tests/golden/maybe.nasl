# optional operations the controller turns on or off
space s {
  layer {
    conv2d
    maybe batchnorm
    maybe maxpool(size: [2, 3], stride: 2)
    maybe either { dropout(rate: [0.1, 0.3]) } or { relu }
  }
}
