"""PyTorch's side of bench/pytorch-steps.ts: the same weights, batches and steps in the reference model.

  /usr/bin/python3 bench/pytorch_steps.py DIR [--variant app|pytorch] [--micro-batch N]

DIR is what bench/pytorch-steps.ts wrote. Loads weights.json/weights.bin into
../shared/bench/pytorch_shufflenet.py's ShuffleNetV1 (tfjs layouts transposed to PyTorch's), compares
the step-0 loss and every weight's gradient with the app's (app-gradients.bin), then trains the same
steps on the same batches with the same warm-up and prints both loss curves side by side.

--variant app (default) uses the app's optimizer: classic momentum, weight decay on kernels only.
--variant pytorch uses the reference script's: Nesterov momentum, weight decay on every parameter.
--init pytorch keeps PyTorch's default initial weights instead of loading the app's (the gradient check
then compares different models and means nothing).
--micro-batch N accumulates gradients over micro-batches of N (batch-norm statistics per micro-batch);
the default is the app's micro-batch from settings.json, so both sides normalise over the same images.
"""
import argparse, copy, json, os, sys
import numpy as np, torch, torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'shared', 'bench'))
from pytorch_shufflenet import ShuffleNetV1  # noqa: E402

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)


def torch_names(model):
    """The reference model's parameters in the app's naming (stem.conv/kernel, stage2.unit1.pw1/kernel, ...)."""
    names = {'stem.0.weight': 'stem.conv/kernel', 'stem.1.weight': 'stem.bn/gamma', 'stem.1.bias': 'stem.bn/beta',
             'fc.weight': 'classifier/kernel', 'fc.bias': 'classifier/bias'}
    unit_names, k = [], 0
    for stage, repeats in zip((2, 3, 4), (4, 8, 4)):
        for r in range(repeats):
            unit_names.append(f'stage{stage}.unit{r + 1}')
    for i, unit in enumerate(unit_names):
        names[f'units.{i}.c1.weight'] = f'{unit}.pw1/kernel'
        names[f'units.{i}.dw.weight'] = f'{unit}.dw/depthwise_kernel'
        names[f'units.{i}.c3.weight'] = f'{unit}.pw2/kernel'
        for ours, theirs in (('pw1_bn', 'b1'), ('dw_bn', 'b2'), ('pw2_bn', 'b3')):
            names[f'units.{i}.{theirs}.weight'] = f'{unit}.{ours}/gamma'
            names[f'units.{i}.{theirs}.bias'] = f'{unit}.{ours}/beta'
    return names


def torch_axes(name, rank):
    """How a tfjs weight's axes map onto PyTorch's: conv [kh,kw,in,out] -> [out,in,kh,kw], depthwise [kh,kw,c,1] -> [c,1,kh,kw], dense [in,out] -> [out,in]."""
    if name.endswith('depthwise_kernel'):
        return (2, 3, 0, 1)
    return {4: (3, 2, 0, 1), 2: (1, 0)}.get(rank)


def to_torch(name, values, shape):
    axes = torch_axes(name, len(shape))
    a = values.reshape(shape)
    return torch.from_numpy(np.ascontiguousarray(a if axes is None else a.transpose(axes)))


def from_torch(name, tensor, shape):
    """The inverse of to_torch, flattened in the app's layout."""
    axes = torch_axes(name, len(shape))
    a = tensor.detach().double().numpy()
    return (a if axes is None else a.transpose(np.argsort(axes))).reshape(-1)


def relative_errors(index, grads, reference):
    """Per weight |g - ref| / |ref|, skipping analytically zero gradients: a depthwise batch norm's beta
    feeds a batch norm that removes any constant, so its gradient is rounding noise (norm ~1e-8)."""
    largest = max(float(np.linalg.norm(r)) for r in reference.values())
    out = {}
    for e in index:
        ref = reference[e['name']]
        if np.linalg.norm(ref) > 1e-4 * largest:
            out[e['name']] = float(np.linalg.norm(grads[e['name']] - ref) / np.linalg.norm(ref))
    return out


def summary(errors):
    worst = max(errors, key=errors.get)
    return dict(median=float(f'{np.median(list(errors.values())):.2e}'), worst=float(f'{errors[worst]:.2e}'), worst_weight=worst)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('dir')
    p.add_argument('--variant', choices=['app', 'pytorch'], default='app')
    p.add_argument('--micro-batch', type=int, default=0)
    p.add_argument('--init', choices=['app', 'pytorch'], default='app')
    p.add_argument('--steps', type=int, help='more steps than the app ran (PyTorch only past its end)')
    p.add_argument('--warmup-steps', type=int, help="another warm-up length than the app's")
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    s = json.load(open(os.path.join(a.dir, 'settings.json')))
    index = json.load(open(os.path.join(a.dir, 'weights.json')))
    flat = np.fromfile(os.path.join(a.dir, 'weights.bin'), dtype=np.float32)
    app = json.load(open(os.path.join(a.dir, 'app.json')))
    app_grads = np.fromfile(os.path.join(a.dir, 'app-gradients.bin'), dtype=np.float32)

    torch.manual_seed(s['seed'])
    model = ShuffleNetV1(s['groups'], float(s['scale']), 10, 'cifar')
    names = torch_names(model)
    by_app_name = {names[n]: t for n, t in model.named_parameters()}
    assert len(by_app_name) == len(index), f'{len(by_app_name)} PyTorch parameters against {len(index)} app weights'
    with torch.no_grad():
        for e in (index if a.init == 'app' else []):
            size = int(np.prod(e['shape']))
            t = by_app_name[e['name']]
            t.copy_(to_torch(e['name'], flat[e['offset']:e['offset'] + size], e['shape']).view_as(t))

    n, b = a.steps or s['steps'], s['batch']
    warmup = a.warmup_steps or s['warmupSteps']
    rates = [s['lr'] * (k + 1) / warmup if k < warmup else s['lr'] for k in range(n)]
    if not a.warmup_steps:
        rates[:len(app['rates'])] = app['rates']
    if n * b > 10000:
        sys.exit(f'{n} steps of {b} need more than the 10,000 images of data_batch_1.bin')
    raw = np.fromfile(os.path.join(s['data'], 'data_batch_1.bin'), dtype=np.uint8, count=n * b * 3073).reshape(-1, 3073)
    x_all = (torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()).float() / 255 - MEAN) / STD
    y_all = torch.from_numpy(raw[:, 0].astype(np.int64))
    ls = s['labelSmoothing']

    # Step 0's gradient on the first micro-batch in float32 (PyTorch) and float64 (the reference both
    # float32 gradients are measured against: float32 alone differs by up to ~1% in the lowest layers,
    # mostly from ReLU masks that flip when an input near 0 changes in its last bits).
    m0 = s['microBatch']
    model.train()
    reference = copy.deepcopy(model).double()
    grads = {}
    for net, x in ((model, x_all[:m0]), (reference, x_all[:m0].double())):
        loss = F.cross_entropy(net(x), y_all[:m0], label_smoothing=ls)
        net.zero_grad()
        loss.backward()
        params = {names[k]: t for k, t in net.named_parameters()}
        grads[net is model] = ({e['name']: from_torch(e['name'], params[e['name']].grad, e['shape']) for e in index}, loss.item())
    (torch32, loss32), (torch64, loss64) = grads[True], grads[False]
    ours = {e['name']: app_grads[e['offset']:e['offset'] + int(np.prod(e['shape']))].astype(np.float64) for e in index}
    print(json.dumps(dict(loss_at_init=dict(app=app['lossAtInit'], pytorch=loss32, pytorch_float64=loss64))))
    print(json.dumps(dict(gradient_relative_error_against_float64=dict(
        app=summary(relative_errors(index, ours, torch64)), pytorch_float32=summary(relative_errors(index, torch32, torch64))))))

    decay = [t for t in model.parameters() if t.dim() >= 2] if a.variant == 'app' else list(model.parameters())
    rest = [] if a.variant == 'pytorch' else [t for t in model.parameters() if t.dim() < 2]
    groups = [dict(params=decay, weight_decay=s['weightDecay'])] + ([dict(params=rest, weight_decay=0)] if rest else [])
    opt = torch.optim.SGD(groups, lr=s['lr'], momentum=s['momentum'], nesterov=a.variant == 'pytorch')
    micro = a.micro_batch or s['microBatch']
    losses = []
    for step in range(n):
        for g in opt.param_groups:
            g['lr'] = rates[step]
        xb, yb = x_all[step * b:(step + 1) * b], y_all[step * b:(step + 1) * b]
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for start in range(0, b, micro):
            out = model(xb[start:start + micro])
            loss = F.cross_entropy(out, yb[start:start + micro], label_smoothing=ls, reduction='sum') / b
            loss.backward()
            total += loss.item()
        opt.step()
        losses.append(total)
    for step in range(n):
        ours = f"{app['losses'][step]:.4f}" if step < len(app['losses']) and rates[step] == app['rates'][step] else '-'
        print(f"step {step + 1:3d}  lr {rates[step]:.4f}  app {ours}  pytorch {losses[step]:.4f}")
    print(json.dumps(dict(variant=a.variant, micro_batch=micro, app=app['losses'], pytorch=losses)))


if __name__ == '__main__':
    main()
