"""The PyTorch reference's first epoch of the 1.0x CIFAR-10 recipe, with every step's loss recorded.

  /usr/bin/python3 bench/pytorch_epoch_losses.py ../shared/datasets/cifar10/cifar-10-batches-bin [--steps 390]

The loop is ../shared/bench/pytorch_time_to_accuracy.py's, unchanged (its init, Nesterov momentum,
weight decay on every parameter, crop + flip, random order, batch 128, lr 0.2 after one warm-up
epoch of a 15-epoch run), but that script prints only the last batch's loss of an epoch; this one
prints the running loss every 10 steps and the epoch's mean, the figure the app reports.
"""
import argparse, json, os, sys, time
import numpy as np, torch, torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench'))
from pytorch_shufflenet import ShuffleNetV1  # noqa: E402
from pytorch_time_to_accuracy import augment, load, norm  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument('data')
    p.add_argument('--steps', type=int, default=390)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    np.random.seed(0)
    xtr, ytr = load(a.data, [f'data_batch_{i}.bin' for i in range(1, 6)])
    model = ShuffleNetV1(3, 1.0, 10, 'cifar').to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4)
    warm = len(xtr) // 128
    model.train()
    perm = torch.randperm(len(xtr))
    losses, started = [], time.perf_counter()
    for step in range(a.steps):
        idx = perm[step * 128:(step + 1) * 128]
        for g in opt.param_groups:
            g['lr'] = 0.2 * (step + 1) / warm
        x = norm(augment(xtr[idx])).contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(model(x), ytr[idx], label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 10 == 9:
            print(json.dumps(dict(step=step + 1, lr=round(0.2 * (step + 1) / warm, 4), running_loss=round(float(np.mean(losses[-10:])), 3),
                                  seconds=round(time.perf_counter() - started))), flush=True)
    peak = int(np.argmax(losses))
    print(json.dumps(dict(steps=a.steps, mean=round(float(np.mean(losses)), 4), peak=round(losses[peak], 2), peak_step=peak + 1,
                          last=round(losses[-1], 4))))


if __name__ == '__main__':
    main()
