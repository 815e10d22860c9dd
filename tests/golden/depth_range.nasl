# the controller picks the depth from a range
space s {
  layers 1..3 { conv2d(height: [1, 3]) }
}
