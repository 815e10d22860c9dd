extern op swish : activation { forward: "swish_f"; colour: "red" }
space s { layer { relu } }
