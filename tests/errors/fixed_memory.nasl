cell c { a = tanh(add(x, h)); memory: b }
