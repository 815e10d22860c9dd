space s {
  layers 3 { conv2d(filters: 4); inputs: anchor(previous: 2) }
}
