cell c {
  a = tanh(add(x, h))
  b = sigmoid(add(aa, h))
}
