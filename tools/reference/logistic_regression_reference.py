"""Reference fit for LogisticRegressionTests: scikit-learn's multinomial logistic regression
(L2, class-balanced sample weights, lbfgs run to a tight tolerance) on a small problem generated
from a formula, printed as Swift literals.

ECGLens's LogisticRegression minimises  sum_i s_i CE_i / sum_i s_i + l2/2 |W|^2  (bias not
penalised); scikit-learn minimises  C sum_i s_i CE_i + |W|^2 / 2, the same minimiser when
l2 = 1 / (C sum_i s_i). Run: /path/to/venv/bin/python tools/reference/logistic_regression_reference.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression


def problem():
    """12 rows of 3 features, 3 classes (5/4/3 rows): features from a closed formula."""
    labels = [0] * 5 + [1] * 4 + [2] * 3
    rows = []
    for i, label in enumerate(labels):
        rows.append([np.sin(1.3 * i + label), np.cos(0.7 * i) + 0.5 * label, ((i * 7) % 5) / 5.0 - label * 0.3])
    return np.array(rows, dtype=np.float32).astype(np.float64), np.array(labels)


def main():
    x, y = problem()
    counts = np.bincount(y)
    weights = len(y) / (len(counts) * counts[y])   # sklearn's "balanced", per row
    l2 = 0.1
    c = 1.0 / (l2 * weights.sum())
    model = LogisticRegression(C=c, tol=1e-12, max_iter=100000)
    model.fit(x, y, sample_weight=weights)
    print("// l2 = %g, C = %.17g" % (l2, c))
    print("let expectedWeights: [Double] = [" + ", ".join("%.10f" % v for v in model.coef_.ravel()) + "]")
    print("let expectedBiases: [Double] = [" + ", ".join("%.10f" % v for v in model.intercept_) + "]")


if __name__ == "__main__":
    main()
