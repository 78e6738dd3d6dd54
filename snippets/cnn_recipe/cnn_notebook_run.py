"""Run the CNN recipe from a notebook cell: the command line's options, given as a list."""
from cnn_train import main

# A short run on the bundled digits: a minute or two on a CPU, seconds on a GPU. On a GPU with
# CIFAR-10, try: ["--dataset", "cifar10", "--download", "--model", "resnet", "--epochs", "30",
#                 "--batch-size", "512", "--lr", "0.2", "--compile"]
ARGS = ["--dataset", "digits", "--epochs", "4", "--out-dir", "runs/notebook"]

if __name__ == "__main__":
    # 0: finished; 1: the CIFAR-10 download failed; 2: bad input (one line says which);
    # 3: the loss diverged (last good checkpoint kept); 130: interrupted
    print("exit status", main(ARGS))
