# anchors beside the layer before: layer 1 has no decision, layer 3 chooses among layers 0 and 1
space s {
  layers 4 { conv2d(filters: [8, 16]); inputs: anchor(window: 2, previous: true) }
}
