# activations.nasl: element-wise functions; usable in layer bodies, cell
# equations and as the activation of a cell-tree node.

op identity : activation "x"
op relu : activation "max(x, 0)"
op tanh : activation "hyperbolic tangent"
op sigmoid : activation "1 / (1 + exp(-x))"

# binary operations, used by cell trees and cell equations
op add : combine "element-wise sum of two inputs of one shape"
op mul : combine "element-wise product of two inputs of one shape"
