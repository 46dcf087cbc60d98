//! The frame every plot shares: its size and its legend.

use plotters::prelude::*;

/// The plots' size in pixels.
pub(crate) const PLOT_SIZE: (u32, u32) = (900, 480);

/// Draws `chart`'s legend at `position`, on a white box with a black border.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
}
