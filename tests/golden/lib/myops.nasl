# an operation declared by the user, loaded from a plug-in library later
extern op scaled_relu(slope: float in 0..1 = 0.01 "slope for negative inputs") : activation
  "leaky relu" {
  library: "libscaled.so"
  forward: "scaled_relu_forward"
  backward: "scaled_relu_backward"
  shape: same
}
