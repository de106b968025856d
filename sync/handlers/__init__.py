"""Request handlers: parse the input, call one service, render JSON."""
