dataset cifar = cifar(dir: "x")
space s { layer { relu } }
