# categorical choices over numbers; integer ranges expand inside a list
space s {
  layer {
    conv2d(height: [1..3, 5], width: [1, 7], filters: [16, 32])
    dropout(rate: [0.1, 0.5])
  }
}
