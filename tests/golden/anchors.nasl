# skip connections by attention anchors, over all layers or a window
space s {
  layers 3 { conv2d(filters: [8, 16]); inputs: anchor }
  layers 3 { relu; inputs: anchor(window: 2) }
}
