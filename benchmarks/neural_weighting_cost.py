"""Time per step of the task weightings (and an adversarial task) on the reference network of
bench_neural.py: 10 tasks x 1,600 rows x 50 features, trunk 2 x 64 ReLU, batch 256, 3 epochs.

    OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/neural_weighting_cost.py
"""
import numpy as np, time, warnings
warnings.simplefilter("ignore")
from mtlclassic import HardSharingMLPRegressor
rng=np.random.default_rng(0); T=10; n=1600*T; p=50
X=rng.standard_normal((n,p)); task=np.repeat(np.arange(T),1600); y=np.tanh(X@rng.standard_normal(p)/7)+0.1*rng.standard_normal(n)
Xs=np.column_stack([X,task]); steps=3*int(np.ceil(n/256))
for tw in ["equal","mgda","pcgrad","gradnorm"]:
    for extra in [{}, {"adversarial_tasks":[9]}] if tw=="equal" else [{}]:
        HardSharingMLPRegressor(hidden_layer_sizes=(64,64),batch_size=256,max_iter=1,task_weighting=tw,task_column=-1,random_state=0,**extra).fit(Xs,y)
        t=time.perf_counter(); HardSharingMLPRegressor(hidden_layer_sizes=(64,64),batch_size=256,max_iter=3,task_weighting=tw,task_column=-1,random_state=0,**extra).fit(Xs,y)
        print(tw, extra, "ms/step", round(1000*(time.perf_counter()-t)/steps,2))
