"""The scikit-learn peer of the churn benchmark (bench/churn-peers.ts): HistGradientBoostingClassifier
with default settings on the ordinary features. Reads train.csv / test.csv (label first, empty =
missing), writes one probability per test row to out.txt. Exits 3 when scikit-learn is missing."""
import sys

try:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    import sklearn
except ImportError:
    sys.exit(3)


def read(path):
    rows = np.genfromtxt(path, delimiter=",", skip_header=1, filling_values=np.nan, missing_values="")
    return rows[:, 1:], rows[:, 0].astype(int)


work = sys.argv[1]
x, y = read(f"{work}/train.csv")
tx, _ = read(f"{work}/test.csv")
model = HistGradientBoostingClassifier(random_state=1).fit(x, y)
np.savetxt(f"{work}/out.txt", model.predict_proba(tx)[:, 1], fmt="%.17g")
print(sklearn.__version__)
