# a recurrent cell given by its equations
cell gru_like {
  z = sigmoid(add(x, h))
  n = tanh(add(x, mul(z, h)))
  out = add(mul(z, n), c)
  memory: out
  output: n
}
