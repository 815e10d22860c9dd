# imports: declarations from another file, an extern op checked now
import "lib/myops.nasl"
space s { layer { conv2d; scaled_relu(slope: [0.1, 0.2]) } }
