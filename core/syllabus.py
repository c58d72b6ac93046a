"""The syllabus as data: the reading-group programmes of `../shared/seeds/` merged into one list ordered by
topic, each topic with its papers, the programme sessions that cover it and the scenes (deep links into the
app) that demo it.

Programmes (as their own pages and slides list them):

* EleutherAI's Diffusion Reading Group: weeks 1-15 and its "list of papers to cover";
* Hi! PARIS Reading Groups, edition 7 (Diffusion Models for Image Generation): sessions 1 and 2 of 4 (the
  copy we hold stops there);
* Harvard, Binxu Wang and John Vastola's session on diffusion generative models with toy examples;
* Skoltech ISP 2024, Daniil Shlenskii's Introduction to Diffusion Models (its 4-part plan);
* FIDLE 22/23 (CNRS), the diffusion-models episode (its parts 1, 2, 3, 5 and 6).

A topic the app does not demo has no scenes, and says what is missing: it is listed, not hidden. A scene is
a query string `tab=TAB_ID&name=value&...` (values unencoded, as a person writes them; `href()` encodes
them); its keys are the `Control` names of that tab's module. `tests/core/test_syllabus.py` opens every
scene through the tab's own `load`. This module has no Gradio and no numbers: the measured claims live in
`core.claims`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode


@dataclass(frozen=True)
class Paper:
    key: str
    authors: str  # as the paper lists them (shortened to "First et al." for 4+ authors)
    year: int
    title: str  # short title
    arxiv: str = ""  # arXiv id, when the programmes give it (or it is certain)

    @property
    def cite(self) -> str:
        names = self.authors.replace(" & ", ", ").split(", ")
        first = names[0].split()[-1] if names else self.authors
        if len(names) == 1:
            who = first
        elif len(names) == 2:
            who = f"{first} & {names[1].split()[-1]}"
        else:
            who = f"{first} et al."
        return f"{who} {self.year}"


@dataclass(frozen=True)
class Scene:
    label: str  # what the link shows, e.g. "DDPM, 1000 steps"
    query: str  # "tab=reverse&sampler=ddpm&steps=1000"

    @property
    def tab(self) -> str:
        return params(self.query).get("tab", "")

    @property
    def settings(self) -> dict[str, str]:
        return {k: v for k, v in params(self.query).items() if k != "tab"}


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    papers: tuple[str, ...]  # keys of PAPERS
    shown: str  # what the scenes show (empty if nothing is demoed)
    missing: str = ""  # what of the topic the app does not demo ("" if the scenes cover it)
    scenes: tuple[Scene, ...] = ()
    claims: tuple[str, ...] = ()  # keys of core.claims that measure it

    @property
    def demoed(self) -> bool:
        return bool(self.scenes)


@dataclass(frozen=True)
class Session:
    label: str  # "Week 4", "Session 1/4", "Part 3"
    title: str
    topics: tuple[str, ...]  # keys of TOPICS, in the session's order
    note: str = ""


@dataclass(frozen=True)
class Programme:
    key: str
    name: str  # "EleutherAI Diffusion Reading Group"
    short: str  # "EleutherAI", for chips
    who: str  # organisers / speakers as the programme names them
    sessions: tuple[Session, ...]
    note: str = ""
    seed: str = field(default="", compare=False)  # the seed file it was read from


@lru_cache(maxsize=1024)
def _pairs(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def params(query: str) -> dict[str, str]:
    """A scene's query string as a dict (values may be written unencoded, "η = 0.0")."""
    return dict(_pairs(query))


@lru_cache(maxsize=1024)
def href(query: str) -> str:
    """The relative link that opens a scene in the same app: `?tab=...&name=value` (encoded)."""
    return "?" + urlencode(dict(_pairs(query)), quote_via=quote)


# ---------------------------------------------------------------------------------------------- papers
PAPERS: dict[str, Paper] = {
    p.key: p
    for p in [
        Paper("sohl2015", "Jascha Sohl-Dickstein, Eric Weiss, Niru Maheswaranathan, Surya Ganguli", 2015,
              "Deep Unsupervised Learning using Nonequilibrium Thermodynamics", "1503.03585"),
        Paper("ddpm", "Jonathan Ho, Ajay Jain & Pieter Abbeel", 2020, "Denoising Diffusion Probabilistic Models",
              "2006.11239"),
        Paper("ncsn", "Yang Song & Stefano Ermon", 2019,
              "Generative Modeling by Estimating Gradients of the Data Distribution", "1907.05600"),
        Paper("ncsnv2", "Yang Song & Stefano Ermon", 2020,
              "Improved Techniques for Training Score-Based Generative Models", "2006.09011"),
        Paper("sde", "Yang Song, Jascha Sohl-Dickstein, Diederik Kingma, Abhishek Kumar, Stefano Ermon, Ben Poole",
              2021, "Score-Based Generative Modeling through Stochastic Differential Equations", "2011.13456"),
        Paper("ddim", "Jiaming Song, Chenlin Meng & Stefano Ermon", 2021, "Denoising Diffusion Implicit Models",
              "2010.02502"),
        Paper("iddpm", "Alex Nichol & Prafulla Dhariwal", 2021, "Improved Denoising Diffusion Probabilistic Models",
              "2102.09672"),
        Paper("adm", "Prafulla Dhariwal & Alex Nichol", 2021, "Diffusion Models Beat GANs on Image Synthesis",
              "2105.05233"),
        Paper("cfg", "Jonathan Ho & Tim Salimans", 2022, "Classifier-Free Diffusion Guidance", "2207.12598"),
        Paper("vdm", "Diederik Kingma, Tim Salimans, Ben Poole, Jonathan Ho", 2021, "Variational Diffusion Models",
              "2107.00630"),
        Paper("ddgan", "Zhisheng Xiao, Karsten Kreis & Arash Vahdat", 2022,
              "Tackling the Generative Learning Trilemma with Denoising Diffusion GANs", "2112.07804"),
        Paper("p2", "Jooyoung Choi, Jungbeom Lee, Chaehun Shin, Sungwon Kim, Hyunwoo Kim, Sungroh Yoon", 2022,
              "Perception Prioritized Training of Diffusion Models", "2204.00227"),
        Paper("edm", "Tero Karras, Miika Aittala, Timo Aila, Samuli Laine", 2022,
              "Elucidating the Design Space of Diffusion-Based Generative Models", "2206.00364"),
        Paper("pndm", "Luping Liu, Yi Ren, Zhijie Lin, Zhou Zhao", 2022,
              "Pseudo Numerical Methods for Diffusion Models on Manifolds", "2202.09778"),
        Paper("dpm_solver", "Cheng Lu, Yuhao Zhou, Fan Bao, Jianfei Chen, Chongxuan Li, Jun Zhu", 2022,
              "DPM-Solver: A Fast ODE Solver for Diffusion Probabilistic Model Sampling in Around 10 Steps",
              "2206.00927"),
        Paper("dpm_solverpp", "Cheng Lu, Yuhao Zhou, Fan Bao, Jianfei Chen, Chongxuan Li, Jun Zhu", 2022,
              "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models", "2211.01095"),
        Paper("flow", "Yaron Lipman, Ricky T. Q. Chen, Heli Ben-Hamu, Maximilian Nickel, Matt Le", 2023,
              "Flow Matching for Generative Modeling", "2210.02747"),
        Paper("rectified_flow", "Xingchao Liu, Chengyue Gong, Qiang Liu", 2023,
              "Flow Straight and Fast: Learning to Generate and Transfer Data with Rectified Flow", "2209.03003"),
        Paper("ot_codes", "Valentin Khrulkov, Gleb Ryzhakov, Andrei Chertkov, Ivan Oseledets", 2023,
              "Understanding DDPM Latent Codes Through Optimal Transport", ""),
        Paper("paella", "Dominic Rampas, Pablo Pernias & Marc Aubreville", 2022,
              "Fast Text-Conditional Discrete Denoising on Vector-Quantized Latent Spaces", "2211.07292"),
        Paper("prog_distill", "Tim Salimans & Jonathan Ho", 2022,
              "Progressive Distillation for Fast Sampling of Diffusion Models", "2202.00512"),
        Paper("guided_distill", "Chenlin Meng, Robin Rombach, Ruiqi Gao, Diederik Kingma, Stefano Ermon, Jonathan Ho, "
              "Tim Salimans", 2023, "On Distillation of Guided Diffusion Models", "2210.03142"),
        Paper("sdedit", "Chenlin Meng, Yutong He, Yang Song, Jiaming Song, Jiajun Wu, Jun-Yan Zhu, Stefano Ermon", 2022,
              "SDEdit: Guided Image Synthesis and Editing with Stochastic Differential Equations", "2108.01073"),
        Paper("repaint", "Andreas Lugmayr, Martin Danelljan, Andres Romero, Fisher Yu, Radu Timofte, Luc Van Gool",
              2022, "RePaint: Inpainting using Denoising Diffusion Probabilistic Models", "2201.09865"),
        Paper("ldm", "Robin Rombach, Andreas Blattmann, Dominik Lorenz, Patrick Esser, Björn Ommer", 2022,
              "High-Resolution Image Synthesis with Latent Diffusion Models", "2112.10752"),
        Paper("imagen", "Chitwan Saharia, William Chan, Saurabh Saxena, et al.", 2022,
              "Photorealistic Text-to-Image Diffusion Models with Deep Language Understanding (Imagen)", ""),
        Paper("zero_shot_layout", "Guillaume Couairon, Marlène Careil, Matthieu Cord, Stéphane Lathuilière, "
              "Jakob Verbeek", 2023, "Zero-shot Spatial Layout Conditioning for Text-to-Image Diffusion Models", ""),
        Paper("sr3", "Chitwan Saharia, Jonathan Ho, William Chan, Tim Salimans, David Fleet, Mohammad Norouzi", 2022,
              "Image Super-Resolution via Iterative Refinement (SR3)", ""),
        Paper("palette", "Chitwan Saharia, William Chan, Huiwen Chang, et al.", 2022,
              "Palette: Image-to-Image Diffusion Models", ""),
        Paper("soft", "Giannis Daras, Mauricio Delbracio, Hossein Talebi, Alexandros Dimakis, Peyman Milanfar", 2022,
              "Soft Diffusion: Score Matching for General Corruptions", "2209.05442"),
        Paper("cold", "Arpit Bansal, Eitan Borgnia, Hong-Min Chu, et al.", 2022,
              "Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise", ""),
    ]
}  # fmt: skip


# ---------------------------------------------------------------------------------------------- topics
def _s(label: str, query: str) -> Scene:
    return Scene(label, query)


TOPICS: list[Topic] = [
    Topic(
        "idea",
        "The idea: destroy structure by diffusion, learn to reverse it",
        ("sohl2015",),
        "Data noised step by step until only Gaussian noise is left, over the exact density of every noised "
        "version and its score, and the same noise on a picture.",
        "The comparison with VAEs and GANs (FIDLE's introduction) is not shown.",
        (_s("Forward: DDPM halfway", "tab=forward&preset=ring8&process=ddpm&t=250"),),
    ),
    Topic(
        "ddpm_forward",
        "DDPM forward process: q(x_t | x_0) in closed form",
        ("ddpm",),
        "x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε for the linear β schedule; the schedule plot; the prior mismatch "
        "KL(p_t ‖ N(0, I)) a too-short schedule leaves.",
        "",
        (
            _s("Forward: DDPM at t = 250", "tab=forward&preset=ring8&process=ddpm&t=250"),
            _s("Forward: too-short schedule (t = 300)", "tab=forward&preset=grid25&process=ddpm&t=300"),
        ),
    ),
    Topic(
        "ddpm_reverse",
        "DDPM reverse process: ancestral sampling (Algorithm 2)",
        ("ddpm",),
        "Algorithm 2 on the exact denoiser, its paths, its real error against the exact data (MMD² in "
        "noise-floor units) and the step where each path commits to a mode.",
        "",
        (
            _s(
                "Reverse: DDPM, 1000 steps",
                "tab=reverse&preset=ring8&process=ddpm&grid=leading&sampler=ddpm&steps=1000&particles=1000",
            ),
        ),
    ),
    Topic(
        "training",
        "Training the denoiser: the ε-prediction loss (Algorithm 1)",
        ("ddpm",),
        "A small MLP denoiser trained with Algorithm 1 (ε, x₀ or v prediction), against the exact one: where "
        "its error lives, and how much of a sampler's error it adds.",
        "Image networks (U-Nets) are not trained here: the model is a small MLP on 2D data.",
        (
            _s("Learned vs exact: the shipped model on the ring", "tab=learned&preset=ring8"),
            _s("Learned vs exact: error budget at 10 steps", "tab=learned&preset=ring8_soft&steps=10"),
            _s("ELBO: the bound with the exact denoiser vs −log p(x)", "tab=elbo&preset=ring8&ends=ddpm"),
            _s("ELBO: memorisation, the exact model of 16 training points", "tab=elbo&preset=ring8&train_n=16"),
        ),
        claims=("elbo_tight_exact_score", "memorisation_exact_training_set"),
    ),
    Topic(
        "ncsn",
        "Score matching and annealed Langevin dynamics (NCSN)",
        ("ncsn",),
        "NCSN's Figure 3 on its own 2D toy: plain Langevin gets the mode weights wrong, annealed Langevin over "
        "a ladder of noise levels recovers them, level by level, with the mass per mode; and a learned score "
        "that is wrong where the data are rare (Sec. 3.2.1).",
        "",
        (
            _s("Score & Langevin: NCSN Fig. 3, plain vs annealed", "tab=langevin&preset=ncsn_fig3"),
            _s("Score & Langevin: start from N(0, σ₁² I)", "tab=langevin&preset=ncsn_fig3&init=prior"),
            _s("Learned vs exact: the learned score is wrong where data are rare", "tab=learned&preset=ring8&t=20"),
            _s(
                "Reverse: plain Langevin gets the weights wrong",
                "tab=reverse&preset=ncsn_fig3&process=ve&grid=logsnr&sampler=langevin&steps=10&particles=1000",
            ),
            _s(
                "Reverse: annealed Langevin fixes them",
                "tab=reverse&preset=ncsn_fig3&process=ve&grid=logsnr&sampler=annealed_langevin&steps=10"
                "&particles=1000",
            ),
        ),
        claims=("ncsn_fig3_annealing", "ncsn_learned_score_rare"),
    ),
    Topic(
        "ncsnv2",
        "NCSNv2: choosing the noise scales",
        ("ncsnv2",),
        "Techniques 1, 2 and 4 on annealed Langevin: σ₁ from the largest distance between data points, the "
        "ratio γ between levels, the step ε and steps per level; and the VE process's σ_max chosen by Technique 1.",
        "Techniques 3 (noise-conditional scaling of the network) and 5 (EMA) concern training: not shown.",
        (
            _s(
                "Score & Langevin: σ₁ far below the rule (Technique 1)",
                "tab=langevin&preset=ncsn_fig3&sigma1=2.1&gamma=1.81",
            ),
            _s(
                "Score & Langevin: three levels, γ = 46 (Technique 2)",
                "tab=langevin&preset=ncsn_fig3&sigma1=21&levels=3&gamma=45.9&steps=333",
            ),
            _s(
                "Score & Langevin: five steps per level (Technique 4)",
                "tab=langevin&preset=ncsn_fig3&steps=5&eps=7e-5",
            ),
            _s("Forward: VE, the data explodes", "tab=forward&preset=smiley&process=ve&t=0.6"),
        ),
        claims=("ncsnv2_sigma1_rule", "ncsnv2_gamma_rule", "ncsnv2_eps_rule"),
    ),
    Topic(
        "score_sde",
        "Score SDEs: VP, sub-VP, VE; the reverse SDE; Euler–Maruyama and predictor–corrector",
        ("sde",),
        "The three SDEs as forward processes with their exact marginals; the reverse SDE integrated by "
        "Euler–Maruyama and by predictor–corrector (Algorithms 2-3), each against the exact data.",
        "",
        (
            _s("Forward: VP SDE at t = 0.3", "tab=forward&preset=ring8&process=vp&t=0.3"),
            _s("Forward: sub-VP SDE at t = 0.3", "tab=forward&preset=ring8&process=subvp&t=0.3"),
            _s(
                "Reverse: Euler–Maruyama, 100 steps",
                "tab=reverse&preset=ring8&process=vp&grid=linspace&sampler=euler_maruyama&steps=100",
            ),
            _s(
                "Reverse: predictor–corrector (VE)",
                "tab=reverse&preset=ring8&process=ve&grid=logsnr&sampler=pc&steps=100",
            ),
        ),
        claims=("em_vs_ddim_grid",),
    ),
    Topic(
        "pf_ode",
        "The probability-flow ODE and exact likelihoods",
        ("sde", "ot_codes"),
        "The exact log-likelihood by the instantaneous change of variables (exact divergence), against the true "
        "log p, under each process and prior; the PF-ODE integrated by an adaptive solver on the exact score.",
        "",
        (
            _s("PF-ODE: exact likelihood under VP", "tab=pfode&view=likelihood&preset=ring8&process=vp&prior=exact"),
            _s("PF-ODE: VE's prior mismatch", "tab=pfode&view=likelihood&preset=ring8&process=ve&prior=gaussian"),
            _s(
                "PF-ODE: a loose tolerance shows in the gap",
                "tab=pfode&view=likelihood&preset=grid25&process=edm&rtol=1e-4",
            ),
            _s(
                "Reverse: adaptive PF-ODE (VP)",
                "tab=reverse&preset=ring8&process=vp&grid=logsnr&sampler=pf_adaptive&steps=20",
            ),
        ),
        claims=("pf_ode_exact_likelihood",),
    ),
    Topic(
        "ddim",
        "DDIM: deterministic few-step sampling and the η tradeoff (Table 1)",
        ("ddim",),
        "DDIM's Table 1 (steps S × η, and σ̂) measured exactly, beside the paper's CIFAR-10 FIDs; η = 0 and "
        "η = 1 from the same noise; DDIM in ten steps.",
        "",
        (
            _s("DDIM table: S = 10, η = 0", "tab=ddim&preset=ring8&cell_steps=10&cell_variant=η = 0.0"),
            _s("DDIM table: S = 100, η = 1 (DDPM)", "tab=ddim&preset=ring8&cell_steps=100&cell_variant=η = 1.0"),
            _s(
                "Reverse: DDIM, 10 steps",
                "tab=reverse&preset=ring8&process=ddpm&grid=leading&sampler=ddim&steps=10&eta=0",
            ),
        ),
        claims=("ddim_table1_shape", "em_vs_ddim_grid"),
    ),
    Topic(
        "iddpm",
        "Improved DDPM: the cosine schedule and learned variances",
        ("iddpm",),
        "The cosine schedule as a forward process (it destroys information more slowly than the linear one), "
        "sampled with DDIM; the optimal Σ(x), the full-covariance generalisation of what IDDPM's learned diagonal "
        "variances (between β and β̃, per dimension) approximate, as a row of the DDIM table.",
        "Learning the variances with the hybrid loss L_simple + λ L_vlb needs a trained model: not shown.",
        (
            _s(
                "DDIM table: the optimal Σ(x) row, S = 20",
                "tab=ddim&preset=ring8&cell_steps=20&cell_variant=optimal Σ(x)",
            ),
            _s("Forward: cosine schedule at t = 500", "tab=forward&preset=ring8&process=cosine&t=500"),
            _s(
                "Reverse: DDIM on the cosine schedule",
                "tab=reverse&preset=ring8&process=cosine&grid=leading&sampler=ddim&steps=20",
            ),
            _s("ELBO: the cosine schedule's L_T and training-estimator spread", "tab=elbo&preset=ring8&ends=ddpm"),
            _s("ELBO: DDPM's bound at 5 steps, by reverse variance", "tab=elbo&preset=ring8&steps=5"),
        ),
        claims=("iddpm_optimal_step", "iddpm_optimal_few_steps", "iddpm_learned_variance_bound"),
    ),
    Topic(
        "classifier_guidance",
        "Classifier guidance (ADM)",
        ("adm",),
        "With exact models, classifier guidance at scale s (score ∇log p_t(x) + s ∇log p_t(c | x)) is "
        "classifier-free guidance at w = s − 1: the CFG tab shows both.",
        "ADM's architecture and the separately trained noisy classifier are not shown.",
        (_s("CFG: w = 3 (scale s = 4)", "tab=cfg&preset=guidance_collapse&label=0&w=3"),),
        claims=("classifier_guidance_is_cfg",),
    ),
    Topic(
        "cfg",
        "Classifier-free guidance: fidelity against diversity",
        ("cfg",),
        "Guided samples over the conditional and unconditional densities; fidelity and diversity curves over "
        "w (diffusers' guidance_scale = 1 + w): modes collapse, then samples overshoot.",
        "",
        (
            _s("CFG: guidance collapses modes", "tab=cfg&preset=guidance_collapse&label=0&w=3"),
            _s("CFG: fidelity up, then overshoot", "tab=cfg&preset=ring8_soft&label=0&w=7"),
            _s("CFG: separated classes, nothing to gain", "tab=cfg&preset=ring8&label=0&w=3"),
        ),
        claims=("cfg_mode_collapse", "cfg_fidelity_overshoot"),
    ),
    Topic(
        "vdm",
        "Variational diffusion models: everything in terms of the log-SNR",
        ("vdm",),
        "The log-SNR λ(t) of every process (Forward tab's schedule plot), sampling on a grid uniform in "
        "log-SNR, and VDM's point that processes with the same log-SNR path share one ODE; the continuous-time "
        "ELBO with the exact denoiser: the same L∞ under every schedule with the same end points, L_T → L∞, the "
        "training estimator's spread per schedule and the smallest any schedule can give, the bound's gap.",
        "VDM's learned noise schedule is not trained here (the best achievable estimator spread is computed "
        "instead).",
        (
            _s("ELBO: one L∞ for every schedule", "tab=elbo&preset=ring8&ends=ddpm"),
            _s("ELBO: wide end points, a tight bound", "tab=elbo&preset=ring8&ends=wide"),
            _s(
                "PF-ODE: VP and EDM, one ODE",
                "tab=pfode&view=schedules&preset=ring8&process=vp&process_b=edm&grid=karras",
            ),
            _s("Forward: the VP schedule and its log-SNR", "tab=forward&preset=ring8&process=vp&t=0.5"),
            _s(
                "Reverse: DPM-Solver-2 on a log-SNR grid",
                "tab=reverse&preset=ring8&process=ddpm&grid=logsnr&sampler=dpm_solver_2&steps=10",
            ),
        ),
        claims=("one_ode_every_schedule", "vdm_schedule_invariance", "vdm_estimator_variance"),
    ),
    Topic(
        "ddgan",
        "Denoising diffusion GANs",
        ("ddgan",),
        "DD-GAN's premise measured: the true reverse kernel q(x_s | x_t) of a few-step sampler is an exact Gaussian "
        "mixture here, shown beside DDPM's Gaussian and the best Gaussian; ancestral sampling with each at K = 1 … 50.",
        "The conditional GAN itself is not trained: the exact kernel shows what a perfect multimodal generator "
        "could reach, not what a GAN learns.",
        (
            _s("Few steps: a 4-step sampler's kernel in lobes", "tab=fewsteps&preset=ring8&t=349&steps=4&x=1&y=0"),
            _s("Few steps: one step, the kernel is the data", "tab=fewsteps&preset=ring8&t=999&steps=1&x=0&y=0"),
            _s("Few steps: fifty steps, the kernel is Gaussian", "tab=fewsteps&preset=ring8&t=500&steps=50&x=1&y=0.5"),
        ),
        claims=("ddgan_gaussian_small_steps",),
    ),
    Topic(
        "p2",
        "Perception-prioritized training (P2 weighting)",
        ("p2",),
        "The P2 weighting of the training loss over noise levels, as an option of the learned denoiser.",
        "Its point, perceptual quality of images, cannot be judged on 2D data.",
        (_s("Learned vs exact: train live with P2 weighting", "tab=learned&preset=ring8&weighting=p2"),),
    ),
    Topic(
        "edm",
        "EDM: the design space (σ(t) = t, Karras grid, Heun, churn)",
        ("edm",),
        "EDM's Algorithm 2: Heun steps on the Karras ρ = 7 grid, 18 steps for 35 evaluations, with optional "
        "churn, on the exact denoiser; the Karras grid in the sampler race.",
        "EDM's loss weighting and preconditioning are an option of the Learned vs exact tab's training.",
        (
            _s(
                "Reverse: EDM Heun, 18 steps (35 NFE)",
                "tab=reverse&preset=grid25&process=edm&grid=karras&sampler=edm_heun&steps=18",
            ),
            _s("Forward: the EDM process (σ = t)", "tab=forward&preset=grid25&process=edm&t=2"),
            _s("Sampler race: EDM's Karras schedule at 50 NFE", "tab=race&preset=ring8&budget=50"),
            _s(
                "Sampler race: the grid decides whether DPM-Solver++(2M) beats DDIM",
                "tab=race&preset=ring8&budget=20&grid_solver=dpmpp_2m&show=all",
            ),
        ),
        claims=("edm_nfe", "grid_vs_solver", "race_orders", "one_ode_every_schedule"),
    ),
    Topic(
        "fast_solvers",
        "Fast ODE solvers: PNDM, DPM-Solver, DPM-Solver++",
        ("pndm", "dpm_solver", "dpm_solverpp"),
        "DPM-Solver-2 and -3, DPM-Solver++(2M) and diffusers' PNDM scheduler driving the exact model, each "
        "with its real error and its number of model evaluations.",
        "",
        (
            _s(
                "Reverse: DPM-Solver-2, 10 steps",
                "tab=reverse&preset=ring8&process=ddpm&grid=logsnr&sampler=dpm_solver_2&steps=10",
            ),
            _s(
                "Reverse: DPM-Solver++(2M), 20 steps",
                "tab=reverse&preset=ring8&process=ddpm&grid=leading&sampler=dpmpp_2m&steps=20",
            ),
            _s(
                "Reverse: diffusers PNDM, 20 steps",
                "tab=reverse&preset=ring8&process=ddpm&grid=leading&sampler=diffusers:PNDM&steps=20",
            ),
            _s("Sampler race: DPM-Solver at 10 NFE vs DDPM at 1000", "tab=race&preset=ring8_wide&budget=10"),
            _s(
                "Sampler race: orders of convergence",
                "tab=race&preset=ring8&budget=50&show=deterministic&y_axis=path",
            ),
        ),
        claims=("dpm_solver_grid", "race_orders", "grid_vs_solver"),
    ),
    Topic(
        "flow",
        "Flow matching",
        ("flow", "rectified_flow"),
        "The straight-line path x_t = (1 − t) x_0 + t ε with its exact marginals, its velocity ODE integrated "
        "by Euler in 10 steps, and how straight its paths are against VP's.",
        "Learning the velocity field (the flow-matching loss) is not shown.",
        (
            _s("Forward: flow matching midpoint", "tab=forward&preset=moons&process=flow&t=0.5"),
            _s(
                "Reverse: flow matching Euler, 10 steps",
                "tab=reverse&preset=moons&process=flow&grid=linspace&sampler=flow_euler&steps=10",
            ),
            _s(
                "PF-ODE: flow's straight paths on its own grid",
                "tab=pfode&view=flow&preset=ring8&grid=uniform&steps=10",
            ),
            _s("PF-ODE: flow on Karras nodes", "tab=pfode&view=flow&preset=ring8&grid=karras&steps=10"),
            _s("Few steps: reflow straightens the exact 1-rectified flow", "tab=fewsteps&preset=ring8"),
        ),
        claims=("flow_straighter_paths", "flow_euler_is_ddim", "reflow_straightens", "reflow_transport_cost"),
    ),
    Topic(
        "sdedit",
        "SDEdit: edit by noising a guide, then denoising",
        ("sdedit",),
        "Guide points that are not data, diffused to t₀ and denoised on the exact model: realism against "
        "faithfulness over t₀, beside the paper's recommended t₀ ∈ [0.3, 0.6].",
        "Strokes on images and the paper's image SDEs (VE and VP) are not shown; the guides here are 2D points, "
        "edited with DDPM's discrete chain.",
        (
            _s("SDEdit: a square at t₀ = 0.3", "tab=inpaint&preset=four_corners&stroke=square&t0=0.3"),
            _s("SDEdit: t₀ = 0.6 forgets the guide", "tab=inpaint&preset=four_corners&stroke=line&t0=0.6"),
            _s("SDEdit: a shifted ring pulled back", "tab=inpaint&preset=ring8&stroke=shifted&t0=0.2"),
        ),
        claims=("sdedit_tradeoff", "sdedit_t0_range"),
    ),
    Topic(
        "inpainting",
        "Inpainting and RePaint's resampling",
        ("repaint",),
        "x₁ known, x₂ sampled: naive replacement against RePaint's U resamplings and jumps, both against the "
        "exact conditional p(x₂ | x₁).",
        "Masks on images are not shown: the known part here is one coordinate.",
        (
            _s(
                "Inpainting: RePaint U = 10 vs naive",
                "tab=inpaint&preset=four_corners&x1=2&resamplings=10&jump=1&steps=50",
            ),
            _s(
                "Inpainting: naive replacement (U = 1)",
                "tab=inpaint&preset=four_corners&x1=2&resamplings=1&jump=1",
            ),
            _s(
                "Inpainting: RePaint with jumps (j = 10)",
                "tab=inpaint&preset=four_corners&x1=2&resamplings=10&jump=10",
            ),
        ),
        claims=("repaint_harmonises",),
    ),
    Topic(
        "own_data",
        "Your own data (FIDLE's Fashion-MNIST example)",
        (),
        "The Your data tab turns points, a table or a drawing into an exact mixture; every tab's Data box also "
        "takes it as `gmm:` followed by components (weight, mean x, mean y, std x, std y, angle, class).",
        "FIDLE trains a DDPM on Fashion-MNIST images; here the data are 2D mixtures, with exact answers.",
        (
            _s(
                "Your data: a mixture of your own, from points or a table",
                "tab=data&spec=gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1",
            ),
            _s(
                "Reverse: DDIM on a two-component mixture of your own",
                "tab=reverse&preset=gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1&sampler=ddim&steps=20",
            ),
        ),
    ),
    Topic(
        "prog_distillation",
        "Progressive distillation",
        ("prog_distill",),
        "Progressive distillation with an exact teacher: DDIM on the exact model distilled round by round from 64 "
        "steps to 1 into small v-prediction students, each round beside exact DDIM with as many steps and the ideal "
        "student (the exact PF-ODE map); a direct z ↦ ODE(z) regression as the control; every few-step method's "
        "error vs NFE.",
        "",
        (
            _s("Few steps: progressive distillation, 64 → 1 steps", "tab=fewsteps&preset=ring8&d_width=64&d_steps=600"),
            _s("Few steps: distillation on the moons", "tab=fewsteps&preset=moons&d_width=64&d_steps=600"),
        ),
        claims=("progressive_distillation",),
    ),
    Topic("distillation", "Distillation of guided models", ("guided_distill",), "",
          "Distilling a classifier-free guided teacher (Meng et al. 2023) is not demoed: the students of the Few "
          "steps tab are unconditional."),
    Topic("discrete", "Discrete denoising on vector-quantized latents (Paella)", ("paella",), "",
          "Discrete tokens are not 2D points: not demoed."),
    Topic(
        "latent",
        "Latent diffusion and Stable Diffusion",
        ("ldm",),
        "Real 8×8 digits through a 2D autoencoder latent whose prior is an exact mixture: any sampler in the "
        "latent, decoded; the error split into the sampler's share and the autoencoder's ceiling; CFG by class; "
        "the latent scale (Stable Diffusion's 0.18215) against the prior mismatch and the sample error.",
        "A convolutional KL- or VQ-regularised autoencoder, a U-Net, text conditioning by cross-attention and "
        "images larger than 8×8 are not shown.",
        (
            _s("Latent: DDIM in the digits' latent, the error split", "tab=latent&sampler=ddim&steps=20"),
            _s("Latent: draw a 3 with guidance w = 3", "tab=latent&label=3&w=3"),
            _s("Latent: scale × 100, the prior mismatch", "tab=latent&scale=100&sampler=ddim&steps=20"),
            _s("Latent: scale × 0.1 at few steps", "tab=latent&scale=0.1&sampler=ddim&steps=20"),
        ),
        claims=("ldm_error_split", "ldm_latent_scale"),
    ),
    Topic(
        "text_to_image",
        "Text-to-image: cross-attention, Imagen, zero-shot layout conditioning",
        ("imagen", "zero_shot_layout"),
        "",
        "Conditioning on text needs a language model and images: not demoed (class labels are, in the CFG tab).",
    ),
    Topic("image_tasks", "Image-to-image tasks: super-resolution, outpainting (SR3, Palette)", ("sr3", "palette"),
          "", "Not demoed."),
    Topic("corruptions", "Beyond Gaussian noise: soft, cold and blurring diffusion", ("soft", "cold"), "",
          "Every process here adds Gaussian noise: not demoed."),
]  # fmt: skip
TOPIC_BY_KEY: dict[str, Topic] = {t.key: t for t in TOPICS}


# ---------------------------------------------------------------------------------------------- programmes
PROGRAMMES: list[Programme] = [
    Programme(
        "eleuther",
        "EleutherAI Diffusion Reading Group",
        "EleutherAI",
        "study group on the EleutherAI Discord (recordings on YouTube)",
        (
            Session("Week 1", "DDPM paper", ("idea", "ddpm_forward", "ddpm_reverse", "training")),
            Session("Week 2", "Score-based generative modeling", ("ncsn",)),
            Session("Week 3", "NCSNv2 and Score SDEs", ("ncsnv2", "score_sde", "pf_ode")),
            Session("Week 4", "Score SDEs and DDIM", ("score_sde", "pf_ode", "ddim")),
            Session("Week 5", "IDDPM, ADM, and Classifier-Free Guidance", ("iddpm", "classifier_guidance", "cfg")),
            Session("Week 6", "Review", (), "all prior readings"),
            Session("Week 7", "Classifier-Free Guidance, VDMs, and Denoising Diffusion GANs", ("cfg", "vdm", "ddgan")),
            Session("Week 8", "Perception-Prioritized Training, Elucidating Design Spaces", ("p2", "edm")),
            Session("Week 9", "DDPM paper, EDM paper code walk-thrus", ("ddpm_reverse", "training", "edm")),
            Session("Week 10", "Paella", ("discrete",)),
            Session(
                "Week 11",
                "Progressive Distillation, Distillation of Guided Models",
                ("prog_distillation", "distillation"),
            ),
            Session("Week 12", "SDEdit", ("sdedit",)),
            Session("Week 13", "Latent Diffusion and Stable Diffusion", ("latent",)),
            Session("Week 14", "Q&A with Robin Rombach", ("latent",), "same readings as week 13"),
            Session("Week 15", "Soft Diffusion", ("corruptions",)),
            Session(
                "To cover",
                "From the group's list of papers still to cover",
                ("flow", "fast_solvers", "pf_ode", "corruptions", "image_tasks"),
                "flow matching (#20), cold diffusion (#21), SR3 and Palette (#26-27), PNDM and DPM-Solver(++) "
                "(#31-33), DDPM latent codes through optimal transport (#53)",
            ),
        ),
        seed="004_fc9852e315778fdf.txt",
    ),
    Programme(
        "hiparis",
        "Hi! PARIS Reading Groups, edition 7: Diffusion Models for Image Generation",
        "Hi! PARIS",
        "Hi! PARIS (Institut Polytechnique de Paris and HEC), speaker Gabriel Cardoso (session 1)",
        (
            Session(
                "Session 1/4",
                "Generative modeling by estimating gradients of the data distribution; DDIM",
                ("ncsn", "ddim"),
                "compares the tradeoff of the two samplers",
            ),
            Session(
                "Session 2/4",
                "Score-based generative modeling through SDEs; zero-shot spatial layout conditioning",
                ("score_sde", "pf_ode", "text_to_image"),
            ),
        ),
        note="Sessions 3 and 4 are not in the copy of the programme we hold.",
        seed="000_30addbe1dad85ddd.txt",
    ),
    Programme(
        "harvard",
        "Diffusion generative models (toy examples)",
        "Harvard",
        "Binxu Wang and John Vastola (Harvard)",
        (
            Session(
                "Day 1–2",
                "The basics on analytically tractable toy distributions",
                ("idea", "ncsn", "score_sde", "pf_ode"),
                "math notes and coding exercises; readings Song et al. 2021, Song & Ermon 2019, "
                "Sohl-Dickstein et al. 2015",
            ),
        ),
        seed="001_d1834a21c8afb322.txt",
    ),
    Programme(
        "skoltech",
        "Introduction to Diffusion Models (Skoltech ISP 2024)",
        "Skoltech",
        "Daniil Shlenskii (Skolkovo Institute of Science and Technology)",
        (
            Session("Part 1", "Diffusion models basics", ("idea", "ddpm_forward", "ddpm_reverse", "training")),
            Session("Part 2", "Techniques for faster sampling", ("ddim", "fast_solvers")),
            Session("Part 3", "Classifier-free guidance", ("cfg",)),
            Session("Part 4a", "SoTA architectures: Stable Diffusion", ("latent",)),
            Session("Part 4b", "SoTA architectures: Imagen", ("text_to_image",)),
        ),
        seed="002_cb9cf76ac405524e.txt",
    ),
    Programme(
        "fidle",
        "FIDLE 22/23: the diffusion-models episode",
        "FIDLE",
        "FIDLE (CNRS), Introduction au Deep Learning",
        (
            Session("Part 1", "Introduction: generative models, diffusion vs VAE (and GAN)", ("idea",)),
            Session(
                "Part 2",
                "Denoising Diffusion Probabilistic Models: forward and reverse, training and sampling",
                ("ddpm_forward", "ddpm_reverse", "training"),
            ),
            Session(
                "Part 3",
                "DDPM improvements: β scheduling and variance learning, fast sampling, latent diffusion",
                ("iddpm", "ddim", "classifier_guidance", "latent"),
            ),
            Session(
                "Part 5",
                "DDPM applications: text-to-image; inpainting, outpainting, super-resolution",
                ("text_to_image", "inpainting", "image_tasks"),
            ),
            Session("Part 6", "Example: generating Fashion-MNIST", ("own_data",)),
        ),
        note="The programme slide numbers its parts 1, 2, 3, 5, 6.",
        seed="003_1b4e2a0370466c69.txt",
    ),
]
PROGRAMME_BY_KEY: dict[str, Programme] = {p.key: p for p in PROGRAMMES}


def coverage(topic_key: str) -> list[tuple[Programme, Session]]:
    """The programme sessions that cover a topic, programme by programme, in each programme's order."""
    return [(p, s) for p in PROGRAMMES for s in p.sessions if topic_key in s.topics]


def scenes(tabs: set[str] | None = None) -> list[Scene]:
    """Every scene of the syllabus, once each (first occurrence), optionally only those of the given tabs."""
    seen: dict[str, Scene] = {}
    for topic in TOPICS:
        for scene in topic.scenes:
            if tabs is None or scene.tab in tabs:
                seen.setdefault(href(scene.query), scene)
    return list(seen.values())
