"""The jobs that run the stages end to end: demo, daily step, detect, evaluate, passes."""
