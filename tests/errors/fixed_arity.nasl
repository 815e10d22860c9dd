cell c { a = tanh(x, h) }
