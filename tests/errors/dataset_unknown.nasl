dataset fashion = fashion_mnist()
space s { layer { relu } }
train { data: fashon }
