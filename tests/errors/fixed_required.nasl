op lrelu(slope: float) : activation
cell c { a = lrelu(add(x, h)) }
