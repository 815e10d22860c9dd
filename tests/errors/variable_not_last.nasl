space s {
  layers 2..4 { relu }
  layer { maxpool }
}
