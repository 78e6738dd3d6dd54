/* Learning-rate schedule playground: controls, a curve computed exactly as torch.optim.lr_scheduler
 * (torch 2.13) computes it, and the PyTorch code that gives the same curve. Plain JavaScript, no
 * library, no network. State lives in the URL hash, so a schedule can be shared as a link.
 * The page exposes window.playground (curve, code, errors, state) for its tests.
 */
(function () {
  "use strict";

  var ROOT_ID = "lr-playground";
  var MAX_STEPS = 100000;

  // ------------------------------------------------------------------ UI strings (en, zh)
  var STRINGS = {
    en: {
      code_doc: "Learning-rate schedule from the handbook's playground.",
      code_summary: "{summary}, {n} steps in all.",
      sum_step: "step decay",
      sum_multistep: "multi-step decay",
      sum_exponential: "exponential decay",
      sum_cosine: "cosine annealing",
      sum_cosine_restarts: "cosine annealing with warm restarts",
      sum_onecycle: "one-cycle",
      sum_isqrt: "inverse-square-root decay after {w} warmup steps",
      sum_warm: "{w} linear warmup steps, then {rest}",
      c_momentum: "it also cycles the momentum, between 0.85 and 0.95 by default",
      c_isqrt_doc: "Factor on the base lr: linear rise to 1 at step warmup_steps, then 1/sqrt decay.",
      c_isqrt_r: "from step + 1: positive at step 0",
      c_isqrt_min: "both branches are exactly 1 at step == warmup_steps",
      c_decay_count: "the decay's own step count starts at 0 when warmup ends",
      c_model: "stands in for your model",
      c_onecycle_lr: "OneCycleLR sets the lr itself",
      c_call: "Call scheduler.step() once per step, after optimizer.step(): {n} steps in all.",
      c_lr: "the rate this step trains with",
      c_forward: "forward pass and loss.backward() go here",
      schedule: "Schedule",
      fam_step: "Step (StepLR)",
      fam_multistep: "Multi-step (MultiStepLR)",
      fam_exponential: "Exponential (ExponentialLR)",
      fam_cosine: "Cosine (CosineAnnealingLR)",
      fam_cosine_restarts: "Cosine with warm restarts (CosineAnnealingWarmRestarts)",
      fam_onecycle: "One-cycle (OneCycleLR)",
      fam_inverse_sqrt: "Inverse-square-root warmup (LambdaLR)",
      lr: "Base learning rate",
      steps: "Total steps",
      step_size: "Step size (steps between drops)",
      gamma: "Decay factor γ",
      milestones: "Milestones (steps, comma-separated)",
      T_max: "T_max (steps from the start to η_min)",
      eta_min: "Minimum rate η_min",
      T_0: "First period T_0",
      T_mult: "Period multiplier T_mult",
      warmup: "Linear warmup steps (0 = none)",
      warmup_isqrt: "Warmup steps (the peak)",
      start_factor: "Warmup start factor",
      max_lr: "Peak rate max_lr",
      pct_start: "Share of steps rising (pct_start)",
      anneal_strategy: "Annealing",
      anneal_cos: "Cosine",
      anneal_linear: "Linear",
      div_factor: "div_factor (start = max_lr / div_factor)",
      final_div_factor: "final_div_factor (end = start / final_div_factor)",
      three_phase: "Three phases (three_phase)",
      log: "Logarithmic y axis",
      settings: "Settings",
      pin: "Pin current as B",
      unpin: "Clear B",
      copy: "Copy code",
      copy_link: "Copy link",
      copied: "Copied.",
      link_copied: "Link copied.",
      copy_failed: "Could not copy: select the text and copy it by hand.",
      code_title: "PyTorch code for curve A",
      x_label: "Step",
      y_label: "Learning rate",
      chart_label: "Learning-rate curve. Use the arrow keys, Page Up/Down, Home and End to read values.",
      readout: "step {t}: A = {a}",
      readout_b: ", B = {b}",
      readout_hint: "Point at the curve, or focus it and press the arrow keys, to read a value.",
      legend_a: "A: current settings",
      legend_b: "B: pinned",
      not_drawn: "Not drawn: correct the settings flagged in the controls.",
      e_number: "Enter a number.",
      e_positive: "Must be above 0.",
      e_nonneg: "Must be 0 or more.",
      e_int: "Must be a whole number of at least {min}.",
      e_max_steps: "At most {max} steps.",
      e_gamma: "γ must be above 0 and at most 1.",
      e_eta_min: "η_min must not exceed the base learning rate.",
      e_warmup_long: "Warmup must be shorter than the run (total steps).",
      e_factor: "Must be above 0 and at most 1.",
      e_milestones: "Whole numbers of at least 1, increasing, separated by commas.",
      e_pct: "Must be above 0 and below 1.",
      e_pct_short: "The rising phase must last more than one step: pct_start × total steps > 1.",
      e_pct_three: "With three phases, 2 × pct_start × total steps must stay below total steps + 1.",
    },
    zh: {
      code_doc: "学习率调度，由本手册的学习率调度实验台生成。",
      code_summary: "{summary}，共 {n} 步。",
      sum_step: "步进衰减",
      sum_multistep: "多步衰减",
      sum_exponential: "指数衰减",
      sum_cosine: "余弦衰减（余弦退火）",
      sum_cosine_restarts: "带热重启的余弦衰减",
      sum_onecycle: "单周期（one-cycle）调度",
      sum_isqrt: "预热 {w} 步后按平方根倒数衰减",
      sum_warm: "先线性预热 {w} 步，再接{rest}",
      c_momentum: "它同时循环调整动量，默认在 0.85 与 0.95 之间",
      c_isqrt_doc: "乘在基础学习率上的因子：线性上升，在第 warmup_steps 步达到 1，之后按 1/sqrt 衰减。",
      c_isqrt_r: "用 step + 1 计算：第 0 步的因子也大于 0",
      c_isqrt_min: "step == warmup_steps 时两个分支都恰好等于 1",
      c_decay_count: "衰减调度器自己的步数在预热结束时从 0 开始",
      c_model: "占位用，换成你自己的模型",
      c_onecycle_lr: "学习率由 OneCycleLR 自行设置",
      c_call: "每一步在 optimizer.step() 之后调用一次 scheduler.step()：共 {n} 步。",
      c_lr: "这一步训练所用的学习率",
      c_forward: "前向传播和 loss.backward() 写在这里",
      schedule: "调度策略",
      fam_step: "步进衰减（StepLR）",
      fam_multistep: "多步衰减（MultiStepLR）",
      fam_exponential: "指数衰减（ExponentialLR）",
      fam_cosine: "余弦衰减（CosineAnnealingLR）",
      fam_cosine_restarts: "带热重启的余弦衰减（CosineAnnealingWarmRestarts）",
      fam_onecycle: "单周期（OneCycleLR）",
      fam_inverse_sqrt: "平方根倒数预热（LambdaLR）",
      lr: "基础学习率",
      steps: "总步数",
      step_size: "衰减间隔 step_size（步）",
      gamma: "衰减因子 γ",
      milestones: "里程碑（步数，逗号分隔）",
      T_max: "T_max（从起点降到 η_min 的步数）",
      eta_min: "最小学习率 η_min",
      T_0: "首个周期 T_0",
      T_mult: "周期倍数 T_mult",
      warmup: "线性预热步数（0 表示不预热）",
      warmup_isqrt: "预热步数（峰值所在步）",
      start_factor: "预热起始因子",
      max_lr: "峰值学习率 max_lr",
      pct_start: "上升阶段占比 pct_start",
      anneal_strategy: "退火方式",
      anneal_cos: "余弦",
      anneal_linear: "线性",
      div_factor: "div_factor（起始值 = max_lr / div_factor）",
      final_div_factor: "final_div_factor（终值 = 起始值 / final_div_factor）",
      three_phase: "三阶段（three_phase）",
      log: "对数纵轴",
      settings: "设置",
      pin: "将当前曲线固定为 B",
      unpin: "清除 B",
      copy: "复制代码",
      copy_link: "复制链接",
      copied: "已复制。",
      link_copied: "链接已复制。",
      copy_failed: "无法复制：请选中文本后手动复制。",
      code_title: "曲线 A 的 PyTorch 代码",
      x_label: "步数",
      y_label: "学习率",
      chart_label: "学习率曲线。可用方向键、Page Up/Down、Home 与 End 读取数值。",
      readout: "第 {t} 步：A = {a}",
      readout_b: "，B = {b}",
      readout_hint: "将指针移到曲线上，或聚焦曲线后按方向键，即可读取数值。",
      legend_a: "A：当前设置",
      legend_b: "B：已固定",
      not_drawn: "未绘制：请先修正控件中标出的设置。",
      e_number: "请输入一个数。",
      e_positive: "必须大于 0。",
      e_nonneg: "必须大于或等于 0。",
      e_int: "必须是不小于 {min} 的整数。",
      e_max_steps: "最多 {max} 步。",
      e_gamma: "γ 必须大于 0 且不大于 1。",
      e_eta_min: "η_min 不能大于基础学习率。",
      e_warmup_long: "预热必须短于整个训练（总步数）。",
      e_factor: "必须大于 0 且不大于 1。",
      e_milestones: "以逗号分隔、递增且不小于 1 的整数。",
      e_pct: "必须大于 0 且小于 1。",
      e_pct_short: "上升阶段必须多于一步：pct_start × 总步数 > 1。",
      e_pct_three: "三阶段时，2 × pct_start × 总步数必须小于总步数 + 1。",
    },
  };

  var FAMILIES = ["step", "multistep", "exponential", "cosine", "cosine_restarts", "onecycle", "inverse_sqrt"];
  var WARMUP_FAMILIES = ["step", "multistep", "exponential", "cosine", "cosine_restarts"];

  // Each parameter: URL/field name, kind, default, the families that use it.
  var PARAMS = [
    { key: "lr", kind: "float", def: "0.1", fams: FAMILIES.filter(function (f) { return f !== "onecycle"; }) },
    { key: "steps", kind: "int", def: "100", fams: FAMILIES },
    { key: "step_size", kind: "int", def: "30", fams: ["step"] },
    { key: "milestones", kind: "list", def: "30, 60, 80", fams: ["multistep"] },
    { key: "gamma", kind: "float", def: "0.1", fams: ["step", "multistep", "exponential"] },
    { key: "T_max", kind: "int", def: "100", fams: ["cosine"] },
    { key: "T_0", kind: "int", def: "20", fams: ["cosine_restarts"] },
    { key: "T_mult", kind: "int", def: "2", fams: ["cosine_restarts"] },
    { key: "eta_min", kind: "float", def: "0", fams: ["cosine", "cosine_restarts"] },
    { key: "max_lr", kind: "float", def: "0.1", fams: ["onecycle"] },
    { key: "pct_start", kind: "float", def: "0.3", fams: ["onecycle"] },
    { key: "anneal_strategy", kind: "choice", def: "cos", options: ["cos", "linear"], fams: ["onecycle"] },
    { key: "div_factor", kind: "float", def: "25", fams: ["onecycle"] },
    { key: "final_div_factor", kind: "float", def: "10000", fams: ["onecycle"] },
    { key: "three_phase", kind: "bool", def: "0", fams: ["onecycle"] },
    { key: "warmup", kind: "int", def: "0", fams: WARMUP_FAMILIES.concat(["inverse_sqrt"]) },
    { key: "start_factor", kind: "float", def: "0.1", fams: WARMUP_FAMILIES },
  ];
  var DEFAULT_FAMILY = "cosine";
  // Defaults that differ by family: a warmup is what inverse-square-root is about
  var FAMILY_DEFAULTS = { inverse_sqrt: { warmup: "10", lr: "0.001" }, exponential: { gamma: "0.95" } };

  function lang() {
    var l = (document.documentElement.lang || "en").toLowerCase();
    return l.indexOf("zh") === 0 ? "zh" : "en";
  }
  function t(key, vars) {
    var s = (STRINGS[lang()] || STRINGS.en)[key];
    if (s === undefined) s = STRINGS.en[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

  // ------------------------------------------------------------------ state
  function defaultState(family) {
    var s = { schedule: family || DEFAULT_FAMILY, log: "0" };
    PARAMS.forEach(function (p) { s[p.key] = p.def; });
    var extra = FAMILY_DEFAULTS[s.schedule] || {};
    Object.keys(extra).forEach(function (k) { s[k] = extra[k]; });
    return s;
  }
  function usedParams(family) {
    return PARAMS.filter(function (p) {
      if (p.fams.indexOf(family) < 0) return false;
      return true;
    });
  }
  function parseQuery(text) {
    var out = {};
    text.replace(/^[#?]/, "").split("&").forEach(function (part) {
      if (!part) return;
      var i = part.indexOf("=");
      var k = decodeURIComponent((i < 0 ? part : part.slice(0, i)).replace(/\+/g, " "));
      var v = i < 0 ? "" : decodeURIComponent(part.slice(i + 1).replace(/\+/g, " "));
      out[k] = v;
    });
    return out;
  }
  function stateFromQuery(text) {
    var q = parseQuery(text);
    var family = FAMILIES.indexOf(q.schedule) >= 0 ? q.schedule : DEFAULT_FAMILY;
    var s = defaultState(family);
    PARAMS.forEach(function (p) { if (q[p.key] !== undefined) s[p.key] = q[p.key]; });
    if (q.log !== undefined) s.log = q.log;
    return { state: s, pinned: q.b ? stateFromQuery(q.b).state : null };
  }
  function enc(v) { return encodeURIComponent(v).replace(/%2C/gi, ","); }
  function queryOf(s) {
    var parts = ["schedule=" + s.schedule];
    usedParams(s.schedule).forEach(function (p) {
      if (p.key === "start_factor" && !(Number(s.warmup) > 0)) return;
      parts.push(p.key + "=" + enc(String(s[p.key]).trim()));
    });
    return parts.join("&");
  }
  function hashOf(s, pinned) {
    var h = queryOf(s);
    if (s.log === "1") h += "&log=1";
    if (pinned) h += "&b=" + encodeURIComponent(queryOf(pinned));
    return "#" + h;
  }

  // ------------------------------------------------------------------ validation
  function num(v) {
    var s = String(v).trim();
    if (s === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
    return Number(s);
  }
  function parseList(v) {
    var parts = String(v).split(",").map(function (x) { return x.trim(); }).filter(function (x) { return x !== ""; });
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+$/.test(parts[i])) return null;
      var n = Number(parts[i]);
      if (n < 1 || (out.length && n <= out[out.length - 1])) return null;
      out.push(n);
    }
    return out.length ? out : null;
  }

  /** Parse and check a state: {values, errors}; errors maps a field to a message key + vars. */
  function validate(s) {
    var fam = s.schedule, errors = {}, v = {};
    var used = usedParams(fam);
    used.forEach(function (p) {
      var raw = s[p.key];
      if (p.kind === "choice") {
        v[p.key] = p.options.indexOf(raw) >= 0 ? raw : p.def;
      } else if (p.kind === "bool") {
        v[p.key] = raw === "1" || raw === "true";
      } else if (p.kind === "list") {
        v[p.key] = parseList(raw);
        if (!v[p.key]) errors[p.key] = ["e_milestones"];
      } else {
        var x = num(raw);
        v[p.key] = x;
        if (!isFinite(x)) errors[p.key] = ["e_number"];
      }
    });
    function intAtLeast(key, min) {
      if (errors[key]) return;
      if (!Number.isInteger(v[key]) || v[key] < min) errors[key] = ["e_int", { min: min }];
    }
    function positive(key) { if (!errors[key] && !(v[key] > 0)) errors[key] = ["e_positive"]; }

    if (v.lr !== undefined) positive("lr");
    intAtLeast("steps", 2);
    if (!errors.steps && v.steps > MAX_STEPS) errors.steps = ["e_max_steps", { max: MAX_STEPS }];
    if (fam === "step") intAtLeast("step_size", 1);
    if (v.gamma !== undefined && !errors.gamma && !(v.gamma > 0 && v.gamma <= 1)) errors.gamma = ["e_gamma"];
    if (fam === "cosine") intAtLeast("T_max", 1);
    if (fam === "cosine_restarts") { intAtLeast("T_0", 1); intAtLeast("T_mult", 1); }
    if (v.eta_min !== undefined && !errors.eta_min) {
      if (!(v.eta_min >= 0)) errors.eta_min = ["e_nonneg"];
      else if (!errors.lr && v.eta_min > v.lr) errors.eta_min = ["e_eta_min"];
    }
    if (v.warmup !== undefined) {
      intAtLeast("warmup", fam === "inverse_sqrt" ? 1 : 0);
      if (!errors.warmup && !errors.steps && v.warmup >= v.steps) errors.warmup = ["e_warmup_long"];
    }
    if (WARMUP_FAMILIES.indexOf(fam) >= 0 && v.warmup > 0 && !errors.start_factor &&
        !(v.start_factor > 0 && v.start_factor <= 1)) errors.start_factor = ["e_factor"];
    if (fam === "onecycle") {
      ["max_lr", "div_factor", "final_div_factor"].forEach(positive);
      if (!errors.pct_start) {
        var n = v.steps, pct = v.pct_start;
        if (!(pct > 0 && pct < 1)) errors.pct_start = ["e_pct"];
        else if (!errors.steps && !(pct * n - 1 > 0)) errors.pct_start = ["e_pct_short"];
        else if (!errors.steps && v.three_phase && !(2 * pct * n - 2 < n - 1)) errors.pct_start = ["e_pct_three"];
      }
    }
    return { values: v, errors: errors };
  }

  // ------------------------------------------------------------------ PyTorch's schedulers, step by step
  // Each mirrors torch/optim/lr_scheduler.py (2.13): the same recursive (chainable) get_lr, the same
  // closed forms used by SequentialLR at its milestones, the same operation order in floating point.
  function Optimizer(lr) { this.lr = lr; this.initial_lr = undefined; }

  function pyMod(a, b) { var m = a % b; return m !== 0 && (m < 0) !== (b < 0) ? m + b : m; }
  function bisectRight(list, x) { var i = 0; while (i < list.length && list[i] <= x) i++; return i; }

  function Scheduler(opt, impl) {
    this.opt = opt;
    this.impl = impl;
    if (opt.initial_lr === undefined) opt.initial_lr = opt.lr;
    this.base = opt.initial_lr;
    this.lastEpoch = -1;
    this.isInitial = false;
    if (impl.init) impl.init.call(this);
    this.initialStep();
  }
  Scheduler.prototype.initialStep = function () {
    this.stepCount = 0;
    this.isInitial = true;
    this.step();
    this.isInitial = false;
  };
  Scheduler.prototype.step = function () {
    if (this.impl.step) return this.impl.step.call(this, null);
    this.stepCount += 1;
    this.updateLr(null);
  };
  Scheduler.prototype.updateLr = function (epoch) {
    var value;
    if (epoch === null) {
      this.lastEpoch += 1;
      value = this.impl.getLr.call(this);
    } else {
      this.lastEpoch = epoch;
      value = this.impl.closedForm ? this.impl.closedForm.call(this) : this.impl.getLr.call(this);
    }
    this.opt.lr = value;
  };

  function StepLR(opt, stepSize, gamma) {
    return new Scheduler(opt, {
      getLr: function () {
        if (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0) return this.opt.lr;
        return this.opt.lr * gamma;
      },
      closedForm: function () { return this.base * Math.pow(gamma, Math.floor(this.lastEpoch / stepSize)); },
    });
  }
  function MultiStepLR(opt, milestones, gamma) {
    return new Scheduler(opt, {
      getLr: function () {
        var e = this.lastEpoch, count = milestones.filter(function (m) { return m === e; }).length;
        if (!count) return this.opt.lr;
        return this.opt.lr * Math.pow(gamma, count);
      },
      closedForm: function () { return this.base * Math.pow(gamma, bisectRight(milestones, this.lastEpoch)); },
    });
  }
  function ExponentialLR(opt, gamma) {
    return new Scheduler(opt, {
      getLr: function () { return this.isInitial ? this.opt.lr : this.opt.lr * gamma; },
      closedForm: function () { return this.base * Math.pow(gamma, this.lastEpoch); },
    });
  }
  function CosineAnnealingLR(opt, tMax, etaMin) {
    return new Scheduler(opt, {
      getLr: function () {
        var e = this.lastEpoch, lr = this.opt.lr;
        if (this.isInitial) return lr;
        if (this.stepCount === 1 && e > 0) {
          return etaMin + (this.base - etaMin) * (1 + Math.cos(e * Math.PI / tMax)) / 2;
        }
        if (pyMod(e - 1 - tMax, 2 * tMax) === 0) {
          return lr + (this.base - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * e / tMax)) / (1 + Math.cos(Math.PI * (e - 1) / tMax)) * (lr - etaMin) + etaMin;
      },
      closedForm: function () {
        return etaMin + (this.base - etaMin) * (1 + Math.cos(Math.PI * this.lastEpoch / tMax)) / 2;
      },
    });
  }
  function LinearLR(opt, startFactor, endFactor, totalIters) {
    return new Scheduler(opt, {
      getLr: function () {
        var e = this.lastEpoch, lr = this.opt.lr;
        if (e === 0) return lr * startFactor;
        if (this.isInitial || e > totalIters) return lr;
        return lr * (1.0 + (endFactor - startFactor) /
          (totalIters * startFactor + (e - 1) * (endFactor - startFactor)));
      },
      closedForm: function () {
        return this.base * (startFactor + (endFactor - startFactor) * Math.min(totalIters, this.lastEpoch) / totalIters);
      },
    });
  }
  function CosineAnnealingWarmRestarts(opt, T0, Tmult, etaMin) {
    return new Scheduler(opt, {
      init: function () { this.T_i = T0; this.T_cur = this.lastEpoch; },
      getLr: function () {
        return etaMin + (this.base - etaMin) * (1 + Math.cos(Math.PI * this.T_cur / this.T_i)) / 2;
      },
      step: function (epoch) {
        if (epoch === null && this.lastEpoch < 0) epoch = 0;
        if (epoch === null) {
          epoch = this.lastEpoch + 1;
          this.T_cur = this.T_cur + 1;
          if (this.T_cur >= this.T_i) {
            this.T_cur = this.T_cur % this.T_i;
            this.T_i = this.T_i * Tmult;
          }
        } else if (epoch >= T0) {
          throw new Error("explicit epochs past T_0 are not used here");
        } else {
          this.T_i = T0;
          this.T_cur = epoch;
        }
        this.lastEpoch = Math.floor(epoch);
        this.opt.lr = this.impl.getLr.call(this);
      },
    });
  }
  function LambdaLR(opt, factor) {
    return new Scheduler(opt, {
      getLr: function () { return this.base * factor(this.lastEpoch); },
    });
  }
  function OneCycleLR(opt, o) {
    var total = o.total_steps, pct = o.pct_start, phases;
    if (o.three_phase) {
      phases = [
        { end: pct * total - 1, start_lr: "initial_lr", end_lr: "max_lr" },
        { end: 2 * pct * total - 2, start_lr: "max_lr", end_lr: "initial_lr" },
        { end: total - 1, start_lr: "initial_lr", end_lr: "min_lr" },
      ];
    } else {
      phases = [
        { end: pct * total - 1, start_lr: "initial_lr", end_lr: "max_lr" },
        { end: total - 1, start_lr: "max_lr", end_lr: "min_lr" },
      ];
    }
    opt.initial_lr = o.max_lr / o.div_factor;
    opt.max_lr = o.max_lr;
    opt.min_lr = opt.initial_lr / o.final_div_factor;
    function anneal(start, end, p) {
      if (o.anneal_strategy === "cos") {
        var cosOut = Math.cos(Math.PI * p) + 1;
        return end + (start - end) / 2.0 * cosOut;
      }
      return (end - start) * p + start;
    }
    return new Scheduler(opt, {
      getLr: function () {
        var stepNum = this.lastEpoch, startStep = 0.0;
        if (stepNum > total) throw new Error("stepped past total_steps");
        for (var i = 0; i < phases.length; i++) {
          var ph = phases[i];
          if (stepNum <= ph.end || i === phases.length - 1) {
            var p = (stepNum - startStep) / (ph.end - startStep);
            return anneal(this.opt[ph.start_lr], this.opt[ph.end_lr], p);
          }
          startStep = ph.end;
        }
      },
    });
  }
  function SequentialLR(opt, schedulers, milestones) {
    var seq = { lastEpoch: 0 };
    opt.lr = opt.initial_lr;
    schedulers.forEach(function (s) { s.lastEpoch -= 1; });  // undo their initial steps
    schedulers[bisectRight(milestones, 0)].initialStep();
    seq.step = function () {
      seq.lastEpoch += 1;
      var idx = bisectRight(milestones, seq.lastEpoch), s = schedulers[idx];
      if (idx > 0 && milestones[idx - 1] === seq.lastEpoch) s.updateLr(0);
      else s.step();
    };
    return seq;
  }

  function inverseSqrtFactor(warmup) {
    return function (step) {
      var r = (step + 1) / (warmup + 1);
      return Math.min(r, Math.pow(r, -0.5));
    };
  }

  /** Build the scheduler for checked values on a fresh one-group optimizer. */
  function build(v, fam) {
    var opt = new Optimizer(fam === "onecycle" ? v.max_lr : v.lr);
    var main = function () {
      switch (fam) {
        case "step": return StepLR(opt, v.step_size, v.gamma);
        case "multistep": return MultiStepLR(opt, v.milestones, v.gamma);
        case "exponential": return ExponentialLR(opt, v.gamma);
        case "cosine": return CosineAnnealingLR(opt, v.T_max, v.eta_min);
        case "cosine_restarts": return CosineAnnealingWarmRestarts(opt, v.T_0, v.T_mult, v.eta_min);
        case "onecycle": return OneCycleLR(opt, {
          max_lr: v.max_lr, total_steps: v.steps, pct_start: v.pct_start, anneal_strategy: v.anneal_strategy,
          div_factor: v.div_factor, final_div_factor: v.final_div_factor, three_phase: v.three_phase });
        case "inverse_sqrt": return LambdaLR(opt, inverseSqrtFactor(v.warmup));
      }
    };
    var sched;
    if (WARMUP_FAMILIES.indexOf(fam) >= 0 && v.warmup > 0) {
      var warm = LinearLR(opt, v.start_factor, 1.0, v.warmup);
      sched = SequentialLR(opt, [warm, main()], [v.warmup]);
    } else {
      sched = main();
    }
    return { opt: opt, sched: sched };
  }

  /** The rate each of the `steps` steps trains with (record, optimizer.step(), scheduler.step()). */
  function compute(s) {
    var checked = validate(s);
    if (Object.keys(checked.errors).length) return { curve: null, errors: checked.errors, values: checked.values };
    var v = checked.values, b = build(v, s.schedule), out = new Array(v.steps);
    for (var i = 0; i < v.steps; i++) {
      out[i] = b.opt.lr;
      if (i < v.steps - 1) b.sched.step();
    }
    return { curve: out, errors: {}, values: v };
  }

  // ------------------------------------------------------------------ the PyTorch code
  function pyFloat(x) {
    var s = String(x);
    if (!/[.eE]/.test(s) && /^-?\d+$/.test(s)) s += ".0";
    return s;
  }
  function pyInt(x) { return String(x); }

  function codeFor(s, v) {
    var fam = s.schedule, n = v.steps, imports = [], lines = [], pre = [];
    var warm = WARMUP_FAMILIES.indexOf(fam) >= 0 && v.warmup > 0;
    var target = warm ? "decay" : "scheduler";
    var summary;
    switch (fam) {
      case "step":
        imports.push("StepLR");
        lines.push(target + " = StepLR(optimizer, step_size=" + pyInt(v.step_size) + ", gamma=" + pyFloat(v.gamma) + ")");
        summary = t("sum_step");
        break;
      case "multistep":
        imports.push("MultiStepLR");
        lines.push(target + " = MultiStepLR(optimizer, milestones=[" + v.milestones.join(", ") + "], gamma=" + pyFloat(v.gamma) + ")");
        summary = t("sum_multistep");
        break;
      case "exponential":
        imports.push("ExponentialLR");
        lines.push(target + " = ExponentialLR(optimizer, gamma=" + pyFloat(v.gamma) + ")");
        summary = t("sum_exponential");
        break;
      case "cosine":
        imports.push("CosineAnnealingLR");
        lines.push(target + " = CosineAnnealingLR(optimizer, T_max=" + pyInt(v.T_max) + ", eta_min=" + pyFloat(v.eta_min) + ")");
        summary = t("sum_cosine");
        break;
      case "cosine_restarts":
        imports.push("CosineAnnealingWarmRestarts");
        lines.push(target + " = CosineAnnealingWarmRestarts(optimizer, T_0=" + pyInt(v.T_0) + ", T_mult=" +
          pyInt(v.T_mult) + ", eta_min=" + pyFloat(v.eta_min) + ")");
        summary = t("sum_cosine_restarts");
        break;
      case "onecycle":
        imports.push("OneCycleLR");
        lines.push("scheduler = OneCycleLR(");
        lines.push("    optimizer, max_lr=" + pyFloat(v.max_lr) + ", total_steps=" + pyInt(n) + ", pct_start=" +
          pyFloat(v.pct_start) + ", anneal_strategy=\"" + v.anneal_strategy + "\",");
        lines.push("    div_factor=" + pyFloat(v.div_factor) + ", final_div_factor=" + pyFloat(v.final_div_factor) +
          ", three_phase=" + (v.three_phase ? "True" : "False") + ",");
        lines.push(")  # " + t("c_momentum"));
        summary = t("sum_onecycle");
        break;
      case "inverse_sqrt":
        imports.push("LambdaLR");
        pre.push("");
        pre.push("def inverse_sqrt_warmup(step, warmup_steps=" + pyInt(v.warmup) + "):");
        pre.push("    \"\"\"" + t("c_isqrt_doc") + "\"\"\"");
        pre.push("    r = (step + 1) / (warmup_steps + 1)  # " + t("c_isqrt_r"));
        pre.push("    return min(r, r ** -0.5)  # " + t("c_isqrt_min"));
        pre.push("");
        lines.push("scheduler = LambdaLR(optimizer, lr_lambda=inverse_sqrt_warmup)");
        summary = t("sum_isqrt", { w: v.warmup });
        break;
    }
    if (warm) {
      imports.push("LinearLR", "SequentialLR");
      lines.unshift("warmup = LinearLR(optimizer, start_factor=" + pyFloat(v.start_factor) +
        ", end_factor=1.0, total_iters=" + pyInt(v.warmup) + ")");
      lines.push("# " + t("c_decay_count"));
      lines.push("scheduler = SequentialLR(optimizer, [warmup, decay], milestones=[" + pyInt(v.warmup) + "])");
      summary = t("sum_warm", { w: v.warmup, rest: summary });
    }
    imports.sort();
    var lr = fam === "onecycle" ? pyFloat(v.max_lr) : pyFloat(v.lr);
    var out = [
      "\"\"\"" + t("code_doc"),
      "",
      t("code_summary", { summary: summary.charAt(0).toUpperCase() + summary.slice(1), n: n }),
      "\"\"\"",
      "import torch",
      "from torch.optim.lr_scheduler import " + imports.join(", "),
    ].concat(pre.length ? pre : [""]).concat([
      "model = torch.nn.Linear(10, 1)  # " + t("c_model"),
      "optimizer = torch.optim.SGD(model.parameters(), lr=" + lr + ", momentum=0.9)" +
        (fam === "onecycle" ? "  # " + t("c_onecycle_lr") : ""),
    ]).concat(lines).concat([
      "",
      "# " + t("c_call", { n: n }),
      "if __name__ == \"__main__\":",
      "    for step in range(" + n + "):",
      "        lr = optimizer.param_groups[0][\"lr\"]  # " + t("c_lr"),
      "        if step % " + Math.max(1, Math.floor(n / 10)) + " == 0 or step == " + (n - 1) + ":",
      "            print(f\"step {step:6d}  lr {lr:.6g}\")",
      "        # " + t("c_forward"),
      "        optimizer.step()",
      "        scheduler.step()",
    ]);
    return out.join("\n") + "\n";
  }

  // ------------------------------------------------------------------ DOM
  var SVG_NS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    return node;
  }
  function fmt(x) {
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e4) return String(Number(x.toPrecision(6)));
    return x.toExponential(4).replace(/\.?0+e/, "e");
  }

  var ui = {}, state, pinned = null, current = { curve: null }, pinnedCurve = null, cursor = null;

  function fieldLabel(p) {
    if (p.key === "warmup" && state.schedule === "inverse_sqrt") return t("warmup_isqrt");
    return t(p.key);
  }

  function buildUI(root) {
    Array.prototype.slice.call(root.querySelectorAll("noscript")).forEach(function (n) { root.removeChild(n); });
    var form = el("form", { "class": "pg-controls", "aria-label": t("settings"), novalidate: "" });
    form.addEventListener("submit", function (e) { e.preventDefault(); });

    var famId = "pg-schedule";
    var famSelect = el("select", { id: famId, name: "schedule" });
    FAMILIES.forEach(function (f) { famSelect.appendChild(el("option", { value: f, text: t("fam_" + f) })); });
    famSelect.addEventListener("change", function () {
      // a new family starts from its own defaults, keeping the run length and base rate
      var next = defaultState(famSelect.value);
      next.steps = state.steps;
      if (!FAMILY_DEFAULTS[famSelect.value] || !FAMILY_DEFAULTS[famSelect.value].lr) next.lr = state.lr;
      next.log = state.log;
      state = next;
      syncInputs();
      update(true);
    });
    form.appendChild(el("div", { "class": "pg-field pg-field-schedule" }, [
      el("label", { "for": famId, text: t("schedule") }), famSelect]));
    ui.family = famSelect;
    ui.fields = {};

    PARAMS.forEach(function (p) {
      var id = "pg-" + p.key, errId = id + "-error", input, wrap;
      if (p.kind === "choice") {
        input = el("select", { id: id, name: p.key, "aria-describedby": errId });
        p.options.forEach(function (o) { input.appendChild(el("option", { value: o, text: t("anneal_" + o) })); });
      } else if (p.kind === "bool") {
        input = el("input", { id: id, name: p.key, type: "checkbox", "aria-describedby": errId });
      } else {
        input = el("input", {
          id: id, name: p.key, type: "text", autocomplete: "off", spellcheck: "false",
          inputmode: p.kind === "int" ? "numeric" : (p.kind === "list" ? "text" : "decimal"),
          "aria-describedby": errId,
        });
      }
      var label = el("label", { "for": id });
      var error = el("span", { id: errId, "class": "pg-error", role: "alert" });
      wrap = el("div", { "class": "pg-field pg-kind-" + p.kind, "data-param": p.key },
        p.kind === "bool" ? [input, label, error] : [label, input, error]);
      var handler = function () {
        state[p.key] = p.kind === "bool" ? (input.checked ? "1" : "0") : input.value;
        update(true);
      };
      input.addEventListener(p.kind === "bool" || p.kind === "choice" ? "change" : "input", handler);
      form.appendChild(wrap);
      ui.fields[p.key] = { input: input, label: label, error: error, wrap: wrap, param: p };
    });

    var logBox = el("input", { id: "pg-log", type: "checkbox", name: "log" });
    logBox.addEventListener("change", function () { state.log = logBox.checked ? "1" : "0"; update(true); });
    form.appendChild(el("div", { "class": "pg-field pg-kind-bool pg-field-log" }, [
      logBox, el("label", { "for": "pg-log", text: t("log") })]));
    ui.log = logBox;

    var pin = el("button", { type: "button", "class": "md-button pg-pin", text: t("pin") });
    pin.addEventListener("click", function () {
      if (!current.curve) return;
      pinned = JSON.parse(JSON.stringify(state));
      update(true);
    });
    var unpin = el("button", { type: "button", "class": "md-button pg-unpin", text: t("unpin") });
    unpin.addEventListener("click", function () { pinned = null; update(true); });
    var link = el("button", { type: "button", "class": "md-button pg-copy-link", text: t("copy_link") });
    link.addEventListener("click", function () { copyText(location.href, t("link_copied")); });
    form.appendChild(el("div", { "class": "pg-buttons" }, [pin, unpin, link]));
    ui.pin = pin; ui.unpin = unpin;

    // chart
    var chart = svg("svg", {
      "class": "pg-chart", viewBox: "0 0 720 380", tabindex: "0", role: "img",
      "aria-label": t("chart_label"), "aria-describedby": "pg-readout",
    });
    chart.addEventListener("pointermove", function (e) {
      if (!current.curve) return;
      var box = chart.getBoundingClientRect(), x = (e.clientX - box.left) / box.width * 720;
      setCursor(Math.round(ui.geom.toStep(x)));
    });
    chart.addEventListener("pointerleave", function () { if (document.activeElement !== chart) setCursor(null); });
    chart.addEventListener("keydown", function (e) {
      if (!current.curve) return;
      var n = current.curve.length, c = cursor === null ? 0 : cursor, big = Math.max(1, Math.round(n / 10));
      var next = { ArrowRight: c + 1, ArrowUp: c + 1, ArrowLeft: c - 1, ArrowDown: c - 1,
        PageUp: c + big, PageDown: c - big, Home: 0, End: n - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      setCursor(Math.max(0, Math.min(n - 1, next)));
    });
    chart.addEventListener("focus", function () { if (cursor === null && current.curve) setCursor(0); });
    var readout = el("p", { id: "pg-readout", "class": "pg-readout", "aria-live": "polite", text: t("readout_hint") });
    var message = el("p", { "class": "pg-message", role: "status" });
    var legend = el("p", { "class": "pg-legend" });
    var figure = el("div", { "class": "pg-figure" }, [message, chart, legend, readout]);
    ui.chart = chart; ui.readout = readout; ui.message = message; ui.legend = legend;

    // code
    var code = el("code", { id: "pg-code" });
    var copyStatus = el("span", { "class": "pg-copy-status", role: "status" });
    var copy = el("button", { type: "button", "class": "md-button md-button--primary pg-copy", text: t("copy") });
    copy.addEventListener("click", function () { copyText(code.textContent, t("copied")); });
    var codeBox = el("div", { "class": "pg-code" }, [
      el("div", { "class": "pg-code-head" }, [el("strong", { text: t("code_title") }), copy, copyStatus]),
      el("pre", {}, [code]),
    ]);
    ui.code = code; ui.copy = copy; ui.copyStatus = copyStatus;

    root.appendChild(form);
    root.appendChild(el("div", { "class": "pg-main" }, [figure, codeBox]));
  }

  function copyText(text, done) {
    function fallback() {
      var area = el("textarea", { "class": "pg-offscreen", readonly: "" });
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      ui.copyStatus.textContent = ok ? done : t("copy_failed");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { ui.copyStatus.textContent = done; }, fallback);
    } else {
      fallback();
    }
  }

  function syncInputs() {
    ui.family.value = state.schedule;
    Object.keys(ui.fields).forEach(function (key) {
      var f = ui.fields[key], p = f.param;
      var shown = usedParams(state.schedule).indexOf(p) >= 0;
      if (key === "start_factor") shown = shown && Number(state.warmup) > 0;
      f.wrap.hidden = !shown;
      f.label.textContent = fieldLabel(p);
      if (p.kind === "bool") f.input.checked = state[key] === "1" || state[key] === "true";
      else if (f.input.value !== state[key]) f.input.value = state[key];
    });
    ui.log.checked = state.log === "1";
  }

  function showErrors(errors) {
    Object.keys(ui.fields).forEach(function (key) {
      var f = ui.fields[key], e = errors[key];
      var msg = e ? t(e[0], e[1]) : "";
      if (f.error.textContent !== msg) f.error.textContent = msg;
      if (e) f.input.setAttribute("aria-invalid", "true");
      else f.input.removeAttribute("aria-invalid");
    });
  }

  function update(writeUrl) {
    syncInputs();
    current = compute(state);
    showErrors(current.errors);
    pinnedCurve = pinned ? compute(pinned).curve : null;
    ui.code.textContent = current.curve ? codeFor(state, current.values) : "# " + t("not_drawn");
    ui.copy.disabled = !current.curve;
    ui.pin.disabled = !current.curve;
    ui.unpin.disabled = !pinned;
    ui.message.textContent = current.curve ? "" : t("not_drawn");
    if (cursor !== null && current.curve && cursor >= current.curve.length) cursor = current.curve.length - 1;
    draw();
    if (writeUrl) {
      var h = hashOf(state, pinned);
      if (location.hash !== h) history.replaceState(null, "", h);
    }
    ui.root.setAttribute("data-state", hashOf(state, pinned));
  }

  // ------------------------------------------------------------------ drawing
  function niceTicks(lo, hi, count) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    var step = (r >= 5 ? 10 : r >= 2 ? 5 : r >= 1 ? 2 : 1) * mag;
    if (r < 1.5) step = mag;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function draw() {
    var chart = ui.chart;
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    var W = 720, H = 380, L = 74, R = 16, T = 14, B = 48;
    var curves = [];
    if (current.curve) curves.push({ data: current.curve, cls: "pg-line-a" });
    if (pinnedCurve && current.curve) curves.push({ data: pinnedCurve, cls: "pg-line-b" });
    ui.legend.textContent = "";
    if (!curves.length) { ui.readout.textContent = ""; return; }
    ui.legend.appendChild(el("span", { "class": "pg-key pg-key-a", text: t("legend_a") }));
    if (curves.length > 1) ui.legend.appendChild(el("span", { "class": "pg-key pg-key-b", text: t("legend_b") }));

    var n = Math.max.apply(null, curves.map(function (c) { return c.data.length; }));
    var log = state.log === "1";
    var all = [];
    curves.forEach(function (c) { all = all.concat(c.data.length > 5000 ? sample(c.data) : c.data); });
    var hi = Math.max.apply(null, all), lo = 0;
    var positives = all.filter(function (x) { return x > 0; });
    if (log) {
      var minPos = positives.length ? Math.min.apply(null, positives) : hi / 10;
      lo = Math.pow(10, Math.floor(Math.log10(minPos)));
      hi = Math.pow(10, Math.ceil(Math.log10(hi)));
      if (!(hi > lo)) hi = lo * 10;
    } else {
      hi = hi > 0 ? hi * 1.05 : 1;
    }
    var xMax = Math.max(1, n - 1);
    var geom = {
      x: function (i) { return L + (W - L - R) * i / xMax; },
      y: function (v) {
        if (log) { v = Math.max(v, lo); return T + (H - T - B) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))); }
        return T + (H - T - B) * (1 - (v - lo) / (hi - lo));
      },
      toStep: function (px) { return Math.max(0, Math.min(n - 1, (px - L) / (W - L - R) * xMax)); },
    };
    ui.geom = geom;

    var grid = svg("g", { "class": "pg-grid" });
    var yTicks = log ? logTicks(lo, hi) : niceTicks(lo, hi / 1.05 * 1.0, 5);
    yTicks.forEach(function (v) {
      var y = geom.y(v);
      grid.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y }));
      grid.appendChild(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end", text: fmt(v) }));
    });
    niceTicks(0, xMax, 8).forEach(function (v) {
      var x = geom.x(v);
      grid.appendChild(svg("line", { x1: x, x2: x, y1: T, y2: H - B }));
      grid.appendChild(svg("text", { x: x, y: H - B + 16, "text-anchor": "middle", text: fmt(v) }));
    });
    chart.appendChild(grid);
    chart.appendChild(svg("text", { "class": "pg-axis-label", x: L + (W - L - R) / 2, y: H - 8, "text-anchor": "middle", text: t("x_label") }));
    chart.appendChild(svg("text", { "class": "pg-axis-label", x: 14, y: T + (H - T - B) / 2, "text-anchor": "middle",
      transform: "rotate(-90 14 " + (T + (H - T - B) / 2) + ")", text: t("y_label") }));
    chart.appendChild(svg("rect", { "class": "pg-frame", x: L, y: T, width: W - L - R, height: H - T - B }));

    curves.slice().reverse().forEach(function (c) {
      chart.appendChild(svg("polyline", { "class": c.cls, points: points(c.data, geom, W - L - R) }));
    });
    ui.cursorLayer = svg("g", { "class": "pg-cursor" });
    chart.appendChild(ui.cursorLayer);
    setCursor(cursor);
  }

  function sample(data) {
    var out = [], stride = Math.ceil(data.length / 5000);
    for (var i = 0; i < data.length; i += stride) {
      var end = Math.min(data.length, i + stride), lo = data[i], hi = data[i];
      for (var j = i; j < end; j++) { if (data[j] < lo) lo = data[j]; if (data[j] > hi) hi = data[j]; }
      out.push(lo, hi);
    }
    return out;
  }
  function logTicks(lo, hi) {
    var out = [];
    for (var e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) out.push(Math.pow(10, e));
    return out;
  }
  function points(data, geom, width) {
    var pts = [], columns = Math.round(width * 2);
    if (data.length <= columns * 2) {
      for (var i = 0; i < data.length; i++) pts.push(geom.x(i).toFixed(2) + "," + geom.y(data[i]).toFixed(2));
      return pts.join(" ");
    }
    // many steps: per pixel column keep first, min, max and last so no drop or peak is lost
    var per = data.length / columns;
    for (var c = 0; c < columns; c++) {
      var a = Math.floor(c * per), b = Math.min(data.length, Math.floor((c + 1) * per));
      if (b <= a) continue;
      var lo = a, hi = a;
      for (var j = a; j < b; j++) { if (data[j] < data[lo]) lo = j; if (data[j] > data[hi]) hi = j; }
      [a, Math.min(lo, hi), Math.max(lo, hi), b - 1].forEach(function (k) {
        pts.push(geom.x(k).toFixed(2) + "," + geom.y(data[k]).toFixed(2));
      });
    }
    return pts.join(" ");
  }

  function setCursor(step) {
    cursor = step;
    var layer = ui.cursorLayer;
    if (!layer) return;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    if (step === null || !current.curve) {
      if (current.curve) ui.readout.textContent = t("readout_hint");
      return;
    }
    var g = ui.geom, x = g.x(step);
    layer.appendChild(svg("line", { x1: x, x2: x, y1: 14, y2: 380 - 48 }));
    var text = t("readout", { t: step, a: fmt(current.curve[step]) });
    layer.appendChild(svg("circle", { "class": "pg-dot-a", cx: x, cy: g.y(current.curve[step]), r: 4 }));
    if (pinnedCurve) {
      var b = step < pinnedCurve.length ? pinnedCurve[step] : null;
      if (b !== null) layer.appendChild(svg("circle", { "class": "pg-dot-b", cx: x, cy: g.y(b), r: 4 }));
      text += t("readout_b", { b: b === null ? "—" : fmt(b) });
    }
    ui.readout.textContent = text;
  }

  // ------------------------------------------------------------------ start
  function loadFromUrl() {
    var loaded = stateFromQuery(location.hash || "");
    state = loaded.state;
    pinned = loaded.pinned;
    update(false);
  }

  function start() {
    var root = document.getElementById(ROOT_ID);
    if (!root) return;
    ui.root = root;
    state = defaultState();
    buildUI(root);
    loadFromUrl();
    window.addEventListener("hashchange", loadFromUrl);
    window.playground = {
      curve: function () { return current.curve ? current.curve.slice() : null; },
      pinnedCurve: function () { return pinnedCurve ? pinnedCurve.slice() : null; },
      code: function () { return current.curve ? ui.code.textContent : null; },
      errors: function () {
        var out = {};
        Object.keys(current.errors).forEach(function (k) { out[k] = t(current.errors[k][0], current.errors[k][1]); });
        return out;
      },
      state: function () { return hashOf(state, pinned); },
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
