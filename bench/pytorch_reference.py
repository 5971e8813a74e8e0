#!/usr/bin/env python3
"""The Tandem MMDiT written in plain PyTorch (eager), for parity and speed comparison with the C++ engine.

It reads the same model.safetensors (with its own small safetensors reader) and config.json, runs the
transformer on the inputs the C++ side saved, compares the outputs, and times one step.
On CUDA both sides run in bf16 (the engine's GPU precision); attention is PyTorch's fused
scaled_dot_product_attention wherever the installed PyTorch has it (>= 2.0), as in the engine.
Usage: pytorch_reference.py DIR [--threads N] [--reps R] [--device cpu|cuda]   (prints one JSON line)
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "BOOL": torch.bool}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + b:base + end]), dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"])
    return out


def modulate(x, shift, scale):
    return F.layer_norm(x, (x.shape[-1],), eps=1e-6) * (1 + scale[:, None]) + shift[:, None]


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def rope_angles(pos, head_dim, theta):
    def axis(p, dim):
        freqs = theta ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        return p.double()[:, None] * freqs[None]
    row = col = head_dim // 4
    time_dim = head_dim - row - col
    return torch.cat([axis(pos[:, 0], time_dim), axis(pos[:, 1], row), axis(pos[:, 2], col)], 1).float()


def apply_rope(x, angles):
    # Pairs (x0, x1) rotated by the angle: (x0 cos - x1 sin, x1 cos + x0 sin), with the tables in x's dtype.
    cos = torch.cos(angles).repeat_interleave(2, 1).to(x.dtype)
    sin = torch.sin(angles).repeat_interleave(2, 1).to(x.dtype)
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    swapped = torch.stack([-pairs[..., 1], pairs[..., 0]], -1).reshape(x.shape)
    return torch.addcmul(x * cos, swapped, sin)


class Net:
    def __init__(self, cfg, w, device, dtype):
        self.cfg, self.device, self.dtype = cfg, device, dtype
        self.w = {k: v.to(device, dtype) for k, v in w.items()}

    def lin(self, name, x):
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def mlp(self, name, x):
        return self.lin(name + ".fc2", F.gelu(self.lin(name + ".fc1", x), approximate="tanh"))

    def positions(self, T, hp, wp, L, Nt):
        v, a, rate = self.cfg["video"], self.cfg["audio"], self.cfg["dit"]["rope_time_rate"]
        tc, fps, hop, sr = v["temporal_compression"], v["fps"], a["hop"], a["sample_rate"]
        tv = (torch.arange(T, dtype=torch.float64) * tc + tc / 2) / fps * rate
        tt, yy, xx = torch.meshgrid(tv, torch.arange(hp, dtype=torch.float64), torch.arange(wp, dtype=torch.float64), indexing="ij")
        video = torch.stack([tt, yy, xx], -1).reshape(-1, 3)
        ta = (torch.arange(L, dtype=torch.float64) * hop + hop / 2) / sr * rate
        audio = torch.stack([ta, torch.zeros(L, dtype=torch.float64), torch.zeros(L, dtype=torch.float64)], -1)
        return torch.cat([video, audio, torch.zeros(Nt, 3, dtype=torch.float64)]).float()

    def forward(self, video, audio, text, valid, t):
        d, p = self.cfg["dit"], self.cfg["video"]["patch_size"]
        W, heads = d["width"], d["heads"]
        B, C, T, h, w = video.shape
        hp, wp = h // p, w // p
        vt = video.reshape(B, C, T, hp, p, wp, p).permute(0, 2, 3, 5, 1, 4, 6).reshape(B, T * hp * wp, C * p * p)
        at = audio.transpose(1, 2)
        L, Nt = at.shape[1], text.shape[1]
        vf = valid.to(text.dtype)[..., None]
        pooled = (text * vf).sum(1) / vf.sum(1).clamp_min(1.0)
        temb = timestep_embedding(t.cpu(), d["freq_dim"]).to(self.device, self.dtype)
        cond = self.lin("dit.time_embed.2", F.silu(self.lin("dit.time_embed.0", temb))) + self.lin("dit.text_pool", pooled)
        angles = rope_angles(self.positions(T, hp, wp, L, Nt), W // heads, d["rope_theta"]).to(self.device)
        mask = torch.cat([torch.ones(B, T * hp * wp + L, dtype=torch.bool, device=self.device), valid], 1)
        mask = None if bool(mask.all()) else mask[:, None, None, :]
        xs = [self.lin("dit.video_in", vt), self.lin("dit.audio_in", at), self.lin("dit.text_in", text)]
        names = ["video", "audio", "text"]
        for i in range(d["layers"]):
            mods, qs, ks, vs = [], [], [], []
            for s, x in zip(names, xs):
                pre = f"dit.blocks.{i}.{s}"
                m = self.lin(pre + ".modulation", F.silu(cond)).chunk(6, 1)
                mods.append(m)
                N = x.shape[1]
                qkv = self.lin(pre + ".qkv", modulate(x, m[0], m[1])).reshape(B, N, 3, heads, W // heads).permute(2, 0, 3, 1, 4)
                qs.append(qkv[0]); ks.append(qkv[1]); vs.append(qkv[2])
            q = apply_rope(torch.cat(qs, 2), angles)
            k = apply_rope(torch.cat(ks, 2), angles)
            v_all = torch.cat(vs, 2)
            if hasattr(F, "scaled_dot_product_attention"):
                att = F.scaled_dot_product_attention(q, k, v_all, attn_mask=mask).transpose(1, 2)
            else:
                scores = q @ k.transpose(-2, -1) / math.sqrt(W // heads)
                if mask is not None:
                    scores = scores.masked_fill(~mask, float("-inf"))
                att = (scores.softmax(-1) @ v_all).transpose(1, 2)
            out, off = [], 0
            for s, x, m in zip(names, xs, mods):
                pre = f"dit.blocks.{i}.{s}"
                N = x.shape[1]
                a = att[:, off:off + N].reshape(B, N, W)
                off += N
                x = x + m[2][:, None] * self.lin(pre + ".proj", a)
                x = x + m[5][:, None] * self.mlp(pre + ".mlp", modulate(x, m[3], m[4]))
                out.append(x)
            xs = out

        def final(name, x):
            m = self.lin(name + ".modulation", F.silu(cond)).chunk(2, 1)
            return self.lin(name + ".out", modulate(x, m[0], m[1]))

        cv = self.cfg["video"]["latent_channels"]
        v = final("dit.video_out", xs[0]).reshape(B, T, hp, wp, cv, p, p).permute(0, 4, 1, 2, 5, 3, 6).reshape(B, cv, T, h, w)
        a = final("dit.audio_out", xs[1]).transpose(1, 2)
        return v, a


def main():
    d = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    threads = int(args.get("--threads", torch.get_num_threads()))
    reps = int(args.get("--reps", 10))
    device = torch.device(args.get("--device", "cpu"))
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    torch.set_num_threads(threads)
    cfg = json.load(open(d + "/config.json"))
    net = Net(cfg, read_safetensors(d + "/model.safetensors"), device, dtype)
    io = read_safetensors(d + "/io.safetensors")
    inputs = (io["video_in"].to(device, dtype), io["audio_in"].to(device, dtype), io["text"].to(device, dtype),
              io["text_valid"].to(device), io["t"].to(device))

    def step():
        out = net.forward(*inputs)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return out

    with torch.no_grad():
        v, a = (o.float().cpu() for o in step())
        diff = max((v - io["video_out"]).abs().max().item(), (a - io["audio_out"]).abs().max().item())
        scale = max(io["video_out"].abs().max().item(), io["audio_out"].abs().max().item())
        step()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        best = 1e30
        for _ in range(reps):
            t0 = time.perf_counter()
            step()
            best = min(best, time.perf_counter() - t0)
    report = {"threads": threads, "device": str(device), "torch": torch.__version__,
              "pytorch_step_ms": round(best * 1e3, 3), "max_abs_diff": diff, "output_scale": scale}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name()
        report["pytorch_peak_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
