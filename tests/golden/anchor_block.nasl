# anchors within a block: the stage after the pooling layer never reaches back past it
space s {
  layers 3 { conv2d(filters: [8, 16]); inputs: anchor(previous: true, block: true) }
  layer { maxpool(size: 2, stride: 2) }
  layers 3 { conv2d(filters: [8, 16]); inputs: anchor(previous: true, block: true) }
}
