extern op gate(k: int) : layer { library: "g.so"; forward: "g" }
space s { layer { gate } }
