"""A call generator that knows the answer: simulated call-centre traffic written as the AMI
stream Asterisk would send, with the true statistics written beside it."""
