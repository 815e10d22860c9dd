# the controller picks the depth from a list
space s {
  layers [2, 4] { relu; inputs: anchor }
}
