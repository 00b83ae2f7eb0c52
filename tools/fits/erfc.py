import mpmath as mp, math
mp.mp.dps = 40
def g(t):
    if t == 0:
        return mp.log(1/(2*mp.sqrt(mp.pi)))
    z = 2/t - 2
    return mp.log(mp.erfc(z)/t) + z*z
poly, err = mp.chebyfit(g, [0, 1], 15, error=True)
c = [float(p) for p in poly]  # highest degree first
print(len(c), mp.nstr(err,4))
for v in c: print(repr(v))
def erfc(z):
    t = 1/(1+0.5*z)
    p = 0.0
    for v in c: p = p*t + v
    return t*math.exp(p - z*z)
worst = 0
import random
for i in range(200000):
    z = random.uniform(0, 12) if i%2 else random.uniform(0,3)
    e = mp.erfc(z)
    if e == 0: continue
    r = abs((erfc(z)-e)/e)
    worst = max(worst, float(r))
print("worst rel", worst)
