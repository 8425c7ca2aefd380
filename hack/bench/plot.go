package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot's geometry, in pixels: the plotting area is [plotX0, plotX1] ×
// [plotY1, plotY0] (y grows downwards).
const (
	plotW, plotH                   = 900, 520
	plotX0, plotX1, plotY0, plotY1 = 70, plotW - 30, plotH - 60, 50
	// basicfont.Face7x13's glyphs.
	lineHeight, glyphWidth = 13, 7
	tickLen                = 5
	yTicks                 = 4 // 0, 25, 50, 75, 100%
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grey  = color.RGBA{225, 225, 225, 255}
	blue  = color.RGBA{31, 119, 180, 255}
)

// mark is a vertical line at a value, e.g. a percentile.
type mark struct {
	At    time.Duration
	Label string
	Color color.RGBA
}

// plotCDF draws the empirical distribution of ds: for each time on the x
// axis, the share of tenants Ready within it.
func plotCDF(ds []time.Duration, title, xLabel string, marks []mark) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var top time.Duration
	if len(sorted) > 0 {
		top = sorted[len(sorted)-1]
	}
	step, xMax := axisScale(top.Seconds())
	x := func(d time.Duration) int { return plotX0 + int(math.Round(d.Seconds()/xMax*float64(plotX1-plotX0))) }
	y := func(frac float64) int { return plotY0 - int(math.Round(frac*float64(plotY0-plotY1))) }

	// Grid and ticks.
	for v := 0.0; v <= xMax+step/2; v += step {
		px := x(time.Duration(v * float64(time.Second)))
		vline(img, px, plotY1, plotY0, grey)
		vline(img, px, plotY0, plotY0+tickLen, black)
		label := fmt.Sprintf("%g", roundTo(v, step))
		text(img, px-len(label)*glyphWidth/2, plotY0+tickLen+lineHeight, label, black)
	}
	for i := 0; i <= yTicks; i++ {
		py := y(float64(i) / yTicks)
		hline(img, plotX0, plotX1, py, grey)
		hline(img, plotX0-tickLen, plotX0, py, black)
		label := fmt.Sprintf("%d%%", i*100/yTicks)
		text(img, plotX0-tickLen-2-len(label)*glyphWidth, py+lineHeight/2-2, label, black)
	}
	hline(img, plotX0, plotX1, plotY0, black)
	vline(img, plotX0, plotY1, plotY0, black)

	// The step function: at sorted[i], i+1 of n tenants are Ready.
	n := float64(len(sorted))
	px, py := plotX0, plotY0
	for i, d := range sorted {
		nx, ny := x(d), y(float64(i+1)/n)
		thickLine(img, px, py, nx, py, blue)
		thickLine(img, nx, py, nx, ny, blue)
		px, py = nx, ny
	}

	// Labels at the bottom, right of their line: a distribution function
	// is at least p right of its p-th percentile, so that corner is
	// empty. One above the other, so that close marks stay readable.
	for i, m := range marks {
		mx := x(m.At)
		dashedVline(img, mx, plotY1, plotY0, m.Color)
		lx := mx + 4
		if width := len(m.Label) * glyphWidth; lx+width > plotX1 {
			lx = mx - 4 - width // right of the line would leave the plot
		}
		text(img, lx, plotY0-(len(marks)-i-1)*lineHeight-6, m.Label, m.Color)
	}
	text(img, plotX0, plotY1-lineHeight-2, title, black)
	text(img, (plotX0+plotX1-len(xLabel)*glyphWidth)/2, plotY0+3*lineHeight, xLabel, black)
	return img
}

// axisScale picks a tick step of 1, 2 or 5 times a power of ten giving at
// most 10 ticks up to top, and the axis's end (a whole number of steps,
// at least top).
func axisScale(top float64) (step, end float64) {
	if top <= 0 {
		return 1, 1
	}
	magnitude := math.Pow(10, math.Floor(math.Log10(top/10)))
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * magnitude
		if top/step <= 10 {
			break
		}
	}
	// Less a hair: 0.9/0.1 is 9.000000000000002, which is 9 steps.
	return step, math.Ceil(top/step-1e-9) * step
}

// roundTo removes the float noise of adding step repeatedly.
func roundTo(v, step float64) float64 {
	return math.Round(v/step) * step
}

func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

func dashedVline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	const dash = 6
	for y := y0; y <= y1; y++ {
		if (y-y0)/dash%2 == 0 {
			img.SetRGBA(x, y, c)
		}
	}
}

// thickLine draws an axis-parallel segment two pixels wide.
func thickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	for x := min(x0, x1); x <= max(x0, x1); x++ {
		for y := min(y0, y1); y <= max(y0, y1); y++ {
			img.SetRGBA(x, y, c)
			img.SetRGBA(x+1, y, c)
			img.SetRGBA(x, y-1, c)
		}
	}
}
