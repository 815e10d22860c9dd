cell c { a = tanh(add(x, h)); a = relu(add(x, h)); x = tanh(h) }
